"""Delivery you can trust: a persistent outbox, pacing under Telegram's flood limits, and a
sender that resumes after a crash without sending anything twice."""
