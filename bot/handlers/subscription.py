"""/start and /stop, and noticing that a chat blocked the bot or removed it."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session
from telegram import ChatMember, Update
from telegram.ext import ContextTypes

from bot.handlers.base import (
    find_subscriber,
    in_session,
    now_of,
    reply,
    schedule_line,
    settings_of,
    subscriber_for,
)
from bot.render import escape
from bot.scheduling import next_digest_time

log = logging.getLogger(__name__)


def _topics_line(queries: list[str]) -> str:
    if not queries:
        return "You follow no topics yet."
    return "Your topics: " + ", ".join(f"<b>{escape(query)}</b>" for query in queries) + "."


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe the chat (idempotent; resumes a stopped subscription) and say hello."""
    chat = update.effective_chat
    if chat is None:
        return
    settings, now = settings_of(context), now_of(context)

    def subscribe(session: Session) -> tuple[str, str, list[str]]:
        subscriber, created = subscriber_for(session, chat, settings, now)
        state = "new" if created else ("already" if subscriber.active else "resumed")
        if not subscriber.active or subscriber.next_digest_at is None:
            subscriber.active = True
            subscriber.stopped_at = None
            subscriber.inactive_reason = None
            # Count from now: a resumed subscription does not owe missed digests.
            subscriber.next_digest_at = next_digest_time(
                subscriber.digest_time, subscriber.timezone, now
            )
        return state, schedule_line(subscriber), [topic.query for topic in subscriber.topics]

    state, schedule, topics = await in_session(context, subscribe)
    if state == "new":
        text = (
            "Hello! I send you a short daily digest of the news on the topics you choose, "
            "gathered from many news sites and summarised in a few sentences per story.\n\n"
            "To begin:\n"
            "/topic ukraine — follow a topic (any words you care about)\n"
            f"/time 08:00 — when your digest arrives (now {escape(schedule)})\n"
            "/digest — your digest right now\n\n"
            "/help lists everything I can do."
        )
    elif state == "resumed":
        text = (
            f"Welcome back! Your digests are on again: {escape(schedule)}.\n{_topics_line(topics)}"
        )
    else:
        text = (
            f"You are subscribed: {escape(schedule)}.\n{_topics_line(topics)}\n"
            "/help lists everything I can do."
        )
    await reply(update, text)


async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Unsubscribe the chat; topics and settings are kept for a later /start."""
    chat = update.effective_chat
    if chat is None:
        return
    now = now_of(context)

    def unsubscribe(session: Session) -> bool:
        subscriber = find_subscriber(session, chat.id)
        if subscriber is None or not subscriber.active:
            return False
        subscriber.active = False
        subscriber.stopped_at = now
        subscriber.inactive_reason = "stopped with /stop"
        return True

    stopped = await in_session(context, unsubscribe)
    if stopped:
        text = (
            "Stopped: no more digests. Your topics and settings are kept — "
            "/start turns the digests back on."
        )
    else:
        text = "You are not subscribed, so there is nothing to stop. /start subscribes you."
    await reply(update, text)


async def membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was blocked, kicked or removed from a chat: stop sending there."""
    change = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    if status not in (ChatMember.BANNED, ChatMember.LEFT):
        return
    now = now_of(context)

    def deactivate(session: Session) -> None:
        subscriber = find_subscriber(session, change.chat.id)
        if subscriber is not None and subscriber.active:
            subscriber.active = False
            subscriber.stopped_at = now
            subscriber.inactive_reason = f"bot {status} in this chat"

    await in_session(context, deactivate)
    log.info("chat %s: bot %s; subscription paused", change.chat.id, status)
