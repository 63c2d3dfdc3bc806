"""/help, and a one-line hint for unknown commands and plain messages."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.handlers.base import is_admin, reply, settings_of
from bot.render import escape

HELP_TEXT = """I send a daily digest of the news on the topics you follow.

<b>Topics</b>
/topic ukraine — follow a topic (words; forms like “Ukrainian” count too)
/topics — your topics, with buttons to remove them
/untopic 1 — stop following topic 1 (or give the topic itself)

<b>Digest</b>
/digest — your digest right now
/time 08:00 — when the daily digest arrives
/timezone Europe/Kyiv — your time zone (or UTC+2)
/settings — everything at once; /settings items 5 · /settings empty on

<b>Other</b>
/sources — the news sites I read and how they are doing
/start — subscribe (again) · /stop — no more digests (settings are kept)"""

ADMIN_HELP = """

<b>Admin</b>
/addfeed URL — add a news source
/removefeed 3 — remove source 3 of /sources
/stats — subscribers, topics, feeds, stories and digests today"""

HINT = "To follow a topic, send /topic and a few words, e.g. /topic ukraine · /help lists all."


async def show_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: every command with an example."""
    text = HELP_TEXT + (ADMIN_HELP if is_admin(update, settings_of(context)) else "")
    await reply(update, text)


def _is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split()[0]
    name, _, addressee = command.partition("@")
    # In groups, commands without our name may be meant for another bot.
    ours = addressee.lower() == (context.bot.username or "").lower()
    if not _is_private(update) and not ours:
        return
    shown = name if len(name) <= 40 else name[:40] + "…"
    await reply(update, f"I don't know {escape(shown)}. /help lists what I can do.")


async def plain_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text that is not a command, in a private chat: point at /topic and /help."""
    if _is_private(update):
        await reply(update, HINT)
