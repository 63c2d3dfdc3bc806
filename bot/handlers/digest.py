"""/digest: the digest now, through the same compose → render → outbox → send path as the
scheduled one, so what it sends counts as delivered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.base import find_subscriber, in_session, now_of, reply
from bot.jobs import send_outbox_soon
from bot.scheduling import queue_digest


@dataclass(frozen=True)
class ManualDigest:
    state: str  # "queued" | "empty" | "no_topics" | "not_subscribed" | "stopped"
    messages: int = 0


async def digest_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: compose and send the chat's digest right now."""
    chat = update.effective_chat
    if chat is None:
        return
    now = now_of(context)

    def compose(session: Session) -> ManualDigest:
        subscriber = find_subscriber(session, chat.id)
        if subscriber is None:
            return ManualDigest("not_subscribed")
        if not subscriber.active:
            return ManualDigest("stopped")
        if not subscriber.topics:
            return ManualDigest("no_topics")
        queued = queue_digest(session, subscriber, now=now, due_at=now, kind="manual")
        if queued.digest is None:
            return ManualDigest("empty")
        return ManualDigest("queued", queued.messages)

    result = await in_session(context, compose)
    if result.state == "queued":
        send_outbox_soon(context.application)
        return
    text = {
        "not_subscribed": "You are not subscribed yet: /start, then follow a topic with "
        "/topic ukraine",
        "stopped": "Your digests are stopped; /start turns them back on, then /digest works.",
        "no_topics": "You follow no topics yet, so there is nothing to send. "
        "Follow one first, for example: /topic ukraine",
        "empty": "Nothing new on your topics since your last digest. "
        "More stories arrive all day — try again later, or follow another topic: /topic climate",
    }[result.state]
    await reply(update, text)
