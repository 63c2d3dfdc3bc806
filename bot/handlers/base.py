"""What every handler needs: the bot's database, settings and clock, database work off the
event loop, the chat's subscriber, and an HTML reply."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Chat, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.ext import ContextTypes

from bot.scheduling import next_digest_time
from bot.zones import zone_for
from digests.config import Settings
from digests.storage import Database
from digests.storage.models import Subscriber, utcnow

T = TypeVar("T")

# Keys in Application.bot_data.
DB_KEY = "db"
SETTINGS_KEY = "settings"
CLOCK_KEY = "clock"

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def database(context: ContextTypes.DEFAULT_TYPE) -> Database:
    return context.application.bot_data[DB_KEY]


def settings_of(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return context.application.bot_data[SETTINGS_KEY]


def now_of(context: ContextTypes.DEFAULT_TYPE) -> datetime:
    """The bot's clock (controllable in tests)."""
    clock: Callable[[], datetime] = context.application.bot_data.get(CLOCK_KEY, utcnow)
    return clock()


async def in_session(context: ContextTypes.DEFAULT_TYPE, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one committed transaction on a worker thread, so a busy
    database (the pipeline writing) never stalls the event loop."""
    db = database(context)

    def run() -> T:
        with db.session() as session:
            return work(session)

    return await asyncio.to_thread(run)


async def reply(
    update: Update, text: str, *, keyboard: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer in the chat the update came from; `text` is Telegram HTML (escaped already)."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_html(text, reply_markup=keyboard, link_preview_options=NO_PREVIEW)


def argument_text(context: ContextTypes.DEFAULT_TYPE) -> str:
    """Everything after the command, spaces normalised."""
    return " ".join(context.args or [])


def chat_name(chat: Chat) -> str:
    name = chat.title or chat.full_name or chat.username or ""
    return name[:256]


def find_subscriber(session: Session, chat_id: int) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.chat_id == chat_id))


def subscriber_for(
    session: Session, chat: Chat, settings: Settings, now: datetime
) -> tuple[Subscriber, bool]:
    """The chat's subscriber, created with the default hour and zone if new; (it, created)."""
    subscriber = find_subscriber(session, chat.id)
    if subscriber is not None:
        return subscriber, False
    subscriber = Subscriber(
        chat_id=chat.id,
        chat_type=chat.type,
        name=chat_name(chat),
        active=True,
        created_at=now,
        digest_time=settings.default_digest_time,
        timezone=settings.default_timezone,
    )
    subscriber.next_digest_at = next_digest_time(subscriber.digest_time, subscriber.timezone, now)
    session.add(subscriber)
    session.flush()
    return subscriber, True


def is_admin(update: Update, settings: Settings) -> bool:
    """True for the chats and users listed in ADMIN_CHAT_IDS."""
    admins = set(settings.admin_chat_ids)
    chat_id = update.effective_chat.id if update.effective_chat else None
    user_id = update.effective_user.id if update.effective_user else None
    return bool(admins) and (chat_id in admins or user_id in admins)


def local_time(moment: datetime, zone: tzinfo) -> str:
    """`Tue 31 Mar, 08:00` in `zone`."""
    return moment.astimezone(zone).strftime("%a %d %b, %H:%M")


def schedule_line(subscriber: Subscriber) -> str:
    """`every day at 08:00 (Europe/Kyiv); next: Tue 31 Mar, 08:00` (plain text, no markup)."""
    zone = zone_for(subscriber.timezone)
    line = f"every day at {subscriber.digest_time} ({subscriber.timezone})"
    if subscriber.active and subscriber.next_digest_at is not None:
        line += f"; next: {local_time(subscriber.next_digest_at, zone)}"
    return line
