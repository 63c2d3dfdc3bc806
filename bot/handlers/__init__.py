"""The bot's commands: one small async function per command, state in the database."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.handlers.digest import digest_now
from bot.handlers.help import plain_message, show_help, unknown_command
from bot.handlers.preferences import set_time, set_timezone, show_or_change_settings
from bot.handlers.sources import add_source, remove_source, show_sources, show_stats
from bot.handlers.subscription import membership_changed, start, stop
from bot.handlers.topics import (
    REMOVE_PREFIX,
    add_topic,
    remove_topic,
    remove_topic_button,
    show_topics,
)

# The menu Telegram shows (setMyCommands), in the order people need them.
BOT_COMMANDS = (
    BotCommand("start", "Subscribe to the daily digest"),
    BotCommand("topic", "Follow a topic: /topic ukraine"),
    BotCommand("topics", "Your topics (remove with a tap)"),
    BotCommand("untopic", "Stop following a topic: /untopic 1"),
    BotCommand("digest", "Your digest right now"),
    BotCommand("time", "When the digest arrives: /time 08:00"),
    BotCommand("timezone", "Your time zone: /timezone Europe/Kyiv"),
    BotCommand("settings", "Your settings"),
    BotCommand("sources", "News sources and their health"),
    BotCommand("help", "What I can do"),
    BotCommand("stop", "No more digests (settings kept)"),
)
# Shown in the admins' chats only.
ADMIN_COMMANDS = (
    BotCommand("addfeed", "Add a news source: /addfeed URL"),
    BotCommand("removefeed", "Remove source N of /sources"),
    BotCommand("stats", "Subscribers, feeds, stories today"),
)


# Editing an old command message does not run it again.
NEW_MESSAGES = filters.UpdateType.MESSAGE


def register_handlers(application: Application) -> None:
    """Attach every command, button and fallback handler to `application`."""
    commands = {
        "start": start,
        "stop": stop,
        "topic": add_topic,
        "topics": show_topics,
        "untopic": remove_topic,
        "digest": digest_now,
        "time": set_time,
        "timezone": set_timezone,
        "settings": show_or_change_settings,
        "sources": show_sources,
        "help": show_help,
        "removefeed": remove_source,
        "stats": show_stats,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=NEW_MESSAGES))
    # Finding and fetching a feed can take seconds: don't hold up everyone else's updates.
    application.add_handler(
        CommandHandler("addfeed", add_source, filters=NEW_MESSAGES, block=False)
    )
    application.add_handler(CallbackQueryHandler(remove_topic_button, pattern=f"^{REMOVE_PREFIX}"))
    application.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.COMMAND & NEW_MESSAGES, unknown_command))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & NEW_MESSAGES, plain_message)
    )
