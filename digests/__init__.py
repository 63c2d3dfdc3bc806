"""newsdigest's news pipeline: feeds, stories, extraction, summaries, topics, digests.

Knows nothing about Telegram; everything here runs from the command line.
"""
