"""newsdigest's Telegram face: the bot, its handlers, rendering and delivery."""
