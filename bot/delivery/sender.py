"""Sending the outbox: every due message once, in order per chat, under the flood limits.

Each message is marked sent (with its Telegram message id) in its own commit right after
Telegram accepted it, so a crash or restart mid-digest resumes with exactly the messages not
yet sent. Chats are served concurrently, one chat's messages one after another.

What Telegram answers decides what happens to a message:
- accepted: `sent`;
- 403 (blocked, kicked, deactivated) or "chat not found": the subscriber becomes inactive
  and its pending messages `dropped`;
- a group that became a supergroup: the subscriber follows it to the new chat id and the
  message is sent there;
- 429: the pacer waits `retry_after` and tries again; if the storm outlasts its retries the
  message waits for a later call;
- network trouble, time-outs, 5xx: tried again on a later call, with exponential back-off;
  after `max_attempts` the message is `failed` (logged, never silently lost);
- Telegram refusing our HTML ("can't parse entities", "message is too long"): logged with
  the outbox id and sent once more as plain text.

One caveat Telegram leaves open: a time-out after the request went out may hide a message
that did arrive; it is sent again (Telegram has no idempotency key).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.delivery.pacing import TelegramPacer, retry_after_seconds
from bot.render import MAX_MESSAGE_UTF16, shorten, strip_tags
from digests.storage import Database
from digests.storage.models import Digest, OutboxMessage, Subscriber, utcnow

log = logging.getLogger(__name__)

# BadRequest descriptions that mean the chat cannot be written to any more.
_CHAT_GONE = (
    "chat not found",
    "not enough rights",
    "have no rights",
    "chat_write_forbidden",
    "need administrator rights",
    "group chat was deactivated",
    "user is deactivated",
    "peer_id_invalid",
)
# BadRequest descriptions that mean our text was refused (a rendering bug).
_TEXT_REFUSED = (
    "can't parse entities",
    "message is too long",
    "message text is empty",
    "text must be non-empty",
    "entities",
)
_POOL_TIMEOUT_RETRIES = 3
_MAX_MIGRATIONS = 2

# Chats a send_pending call is serving right now, per database: a second concurrent call
# (a /digest while the tick sends) leaves them alone instead of sending a message twice.
_busy_chats: dict[str, set[int]] = {}


@dataclass
class SendReport:
    """What one send_pending call did, counted in messages."""

    sent: int = 0
    retried: int = 0  # kept for a later attempt
    dropped: int = 0  # the chat is gone
    failed: int = 0  # given up (logged with the outbox id)

    def summary_line(self) -> str:
        return (
            f"outbox: {self.sent} sent, {self.retried} to retry, {self.dropped} dropped, "
            f"{self.failed} failed"
        )


# Chats served at once: enough to keep Telegram's overall 30 messages/s busy while each
# private chat waits its 1 s between messages (a chat slot sends about 1 message/s).
CONCURRENT_CHATS = 64


class OutboxSender:
    """Sends the outbox through `bot`, paced by the bot's TelegramPacer (when it has one
    as its rate limiter) or by its own."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        *,
        clock: Callable[[], datetime] = utcnow,
        pacer: TelegramPacer | None = None,
        max_attempts: int = 12,
        backoff: timedelta = timedelta(seconds=30),
        max_backoff: timedelta = timedelta(hours=1),
        stop: threading.Event | None = None,
    ) -> None:
        self.db = db
        # Set when the bot shuts down: no new message is started (the rest stay pending).
        self.stop = stop
        self.bot = bot
        self.clock = clock
        if pacer is None and isinstance(getattr(bot, "rate_limiter", None), TelegramPacer):
            self.pacer: TelegramPacer | None = None  # the bot paces every request itself
        else:
            self.pacer = pacer or TelegramPacer()
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff

    # ---------------------------------------------------------------- the run

    async def send_pending(self) -> SendReport:
        """Send every due pending message; never raises (problems are logged and left in
        the outbox for a later call)."""
        report = SendReport()
        busy = _busy_chats.setdefault(self.db.url, set())
        mine: set[int] = set()
        try:
            # Reading and ordering every pending row is the sender's one big piece of
            # database work (thousands of rows after a digest round): off the event loop.
            chats = await asyncio.to_thread(self._due_by_chat)
            chats = {chat: ids for chat, ids in chats.items() if chat not in busy}
            mine = set(chats)
            busy.update(mine)
            # A bounded number of chats at a time: thousands of coroutines all waiting on
            # the pacer's overall window wake each other for every message sent, which
            # cost a quarter of Telegram's 30/s (76 % at 3,000 chats; 99 % with this cap).
            slots = asyncio.Semaphore(CONCURRENT_CHATS)

            async def serve(ids: list[int]) -> None:
                async with slots:
                    await self._serve_chat(ids, report)

            await asyncio.gather(*(serve(ids) for ids in chats.values()))
        except Exception:
            log.exception("outbox: sending stopped by an unexpected error")
        finally:
            busy.difference_update(mine)
        if report.sent or report.retried or report.dropped or report.failed:
            log.info(report.summary_line())
        return report

    def _due_by_chat(self, chat_id: int | None = None) -> dict[int, list[int]]:
        """Pending message ids per chat, in delivery order, up to the first one not due."""
        now = self.clock()
        query = select(
            OutboxMessage.id,
            OutboxMessage.chat_id,
            OutboxMessage.digest_id,
            OutboxMessage.seq,
            OutboxMessage.attempts,
            OutboxMessage.next_attempt_at,
        ).where(OutboxMessage.status == "pending")
        if chat_id is not None:
            query = query.where(OutboxMessage.chat_id == chat_id)
        with self.db.session() as session:
            rows = session.execute(query).all()
        # A digest's messages go in seq order; digests and notes in the order queued.
        first_id: dict[Any, int] = {}
        for row in rows:
            group = ("digest", row.digest_id) if row.digest_id is not None else ("note", row.id)
            first_id[group] = min(first_id.get(group, row.id), row.id)

        def order(row: Any) -> tuple[int, int, int]:
            group = ("digest", row.digest_id) if row.digest_id is not None else ("note", row.id)
            return (first_id[group], row.seq, row.id)

        chats: dict[int, list[int]] = {}
        blocked: set[int] = set()
        for row in sorted(rows, key=order):
            if row.chat_id in blocked:
                continue
            # Never tried: due now. Tried before: due when its back-off has passed.
            if row.attempts and row.next_attempt_at > now:
                blocked.add(row.chat_id)  # later messages wait for this one
                continue
            chats.setdefault(row.chat_id, []).append(row.id)
        return chats

    async def _serve_chat(self, ids: list[int], report: SendReport) -> None:
        """One chat's messages, strictly one after another."""
        try:
            while ids:
                chat_id = None
                for outbox_id in ids:
                    if self.stop is not None and self.stop.is_set():
                        return
                    outcome, chat_id = await self._send_one(outbox_id, report)
                    if outcome == "stop":
                        return
                # Messages queued for this chat while we were sending.
                if chat_id is None:
                    return
                ids = self._due_by_chat(chat_id).get(chat_id, [])
        except Exception:
            log.exception("outbox: unexpected error while sending message %s", ids)

    # ---------------------------------------------------------------- one message

    async def _send_one(self, outbox_id: int, report: SendReport) -> tuple[str, int | None]:
        """Send one outbox message; returns ("next" | "stop", its chat id)."""
        migrations = 0
        plain = False
        while True:
            with self.db.session() as session:
                row = session.get(OutboxMessage, outbox_id)
                if row is None or row.status != "pending":
                    return "next", None
                subscriber = session.get(Subscriber, row.subscriber_id)
                if row.digest_id is not None and (subscriber is None or not subscriber.active):
                    # Stopped since this was queued: the digest is not wanted any more.
                    self._drop_rows(session, [row], "subscriber stopped")
                    report.dropped += 1
                    return "next", row.chat_id
                chat_id, text = row.chat_id, row.text
            try:
                message = await self._send(chat_id, text, plain=plain)
            except ChatMigrated as error:
                migrations += 1
                if migrations > _MAX_MIGRATIONS:
                    return self._retry_or_give_up(outbox_id, error, report), chat_id
                if not self._follow_migration(outbox_id, error.new_chat_id, report):
                    return "next", chat_id
                continue
            except RetryAfter as error:
                self._retry_later(outbox_id, error, report, delay=retry_after_seconds(error))
                return "stop", chat_id
            except Forbidden as error:
                self._chat_gone(outbox_id, error.message, report)
                return "next", chat_id
            except BadRequest as error:
                reason = error.message.lower()
                if any(marker in reason for marker in _CHAT_GONE):
                    self._chat_gone(outbox_id, error.message, report)
                    return "next", chat_id
                if not plain and any(marker in reason for marker in _TEXT_REFUSED):
                    log.error(
                        "outbox message %s refused by Telegram (%s); sending it as plain text",
                        outbox_id,
                        error.message,
                    )
                    plain = True
                    continue
                if plain:
                    self._give_up(outbox_id, error.message, report)
                    return "next", chat_id
                return self._retry_or_give_up(outbox_id, error, report), chat_id
            except TelegramError as error:  # network, time-out, 5xx, bad token
                return self._retry_or_give_up(outbox_id, error, report), chat_id
            except Exception as error:
                log.exception("outbox message %s: unexpected error", outbox_id)
                return self._retry_or_give_up(outbox_id, error, report), chat_id
            # Accepted: record it before anything else can happen.
            self._mark_sent(outbox_id, message.message_id, "sent as plain text" if plain else None)
            report.sent += 1
            return "next", chat_id

    async def _send(self, chat_id: int, text: str, *, plain: bool) -> Any:
        if plain:
            text = shorten(strip_tags(text).strip(), MAX_MESSAGE_UTF16)
            if not text:
                raise BadRequest("Message text is empty")

        async def call() -> Any:
            for attempt in range(_POOL_TIMEOUT_RETRIES):
                try:
                    return await self.bot.send_message(
                        chat_id=chat_id,
                        text=text,
                        parse_mode=None if plain else ParseMode.HTML,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
                except TimedOut as error:
                    # A pool time-out: the request never left; wait for a connection.
                    if "pool timeout" not in str(error).lower() or attempt + 1 == (
                        _POOL_TIMEOUT_RETRIES
                    ):
                        raise
                    await asyncio.sleep(0.2)
            raise AssertionError("unreachable")

        if self.pacer is not None:
            return await self.pacer.run(chat_id, call)
        return await call()

    # ---------------------------------------------------------------- bookkeeping

    def _settle_digest(self, session: Any, digest_id: int | None) -> None:
        if digest_id is None:
            return
        digest = session.get(Digest, digest_id)
        statuses = set(
            session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.digest_id == digest_id)
            )
        )
        if digest is None or "pending" in statuses:
            return
        digest.status = "sent" if statuses <= {"sent"} else "failed"

    def _mark_sent(self, outbox_id: int, message_id: int, note: str | None) -> None:
        with self.db.session() as session:
            row = session.get(OutboxMessage, outbox_id)
            assert row is not None
            row.status = "sent"
            row.telegram_message_id = message_id
            row.sent_at = self.clock()
            row.attempts += 1
            row.last_error = note
            session.flush()
            self._settle_digest(session, row.digest_id)

    def _drop_rows(self, session: Any, rows: list[OutboxMessage], reason: str) -> None:
        for row in rows:
            row.status = "dropped"
            row.last_error = reason[:500]
        session.flush()
        for digest_id in {row.digest_id for row in rows}:
            self._settle_digest(session, digest_id)

    def _retire(self, session: Any, subscriber_id: int, reason: str) -> int:
        """Subscriber inactive (`reason` kept), its pending messages dropped; returns how
        many were dropped."""
        subscriber = session.get(Subscriber, subscriber_id)
        if subscriber is not None:
            subscriber.active = False
            subscriber.inactive_reason = reason[:256]
        pending = list(
            session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.subscriber_id == subscriber_id,
                    OutboxMessage.status == "pending",
                )
            )
        )
        self._drop_rows(session, pending, reason)
        return len(pending)

    def _chat_gone(self, outbox_id: int, reason: str, report: SendReport) -> None:
        """The chat cannot be written to: subscriber inactive, its pending messages dropped."""
        with self.db.session() as session:
            row = session.get(OutboxMessage, outbox_id)
            assert row is not None
            report.dropped += self._retire(session, row.subscriber_id, reason)
        log.info("chat %s is gone (%s): subscriber made inactive", row.chat_id, reason)

    def _follow_migration(self, outbox_id: int, new_chat_id: int, report: SendReport) -> bool:
        """Move the subscriber and its pending messages to the supergroup; False when
        another subscriber already has that chat (this one is then retired)."""
        with self.db.session() as session:
            row = session.get(OutboxMessage, outbox_id)
            assert row is not None
            subscriber = session.get(Subscriber, row.subscriber_id)
            owner = session.scalar(select(Subscriber).where(Subscriber.chat_id == new_chat_id))
            if subscriber is None or (owner is not None and owner.id != subscriber.id):
                reason = f"group moved to {new_chat_id}, which is subscribed on its own"
                report.dropped += self._retire(session, row.subscriber_id, reason)
                return False
            old_chat_id = subscriber.chat_id
            subscriber.chat_id = new_chat_id
            subscriber.chat_type = "supergroup"
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.subscriber_id == subscriber.id,
                    OutboxMessage.status == "pending",
                )
                .values(chat_id=new_chat_id)
            )
        log.info("chat %s became supergroup %s: subscriber follows it", old_chat_id, new_chat_id)
        return True

    def _retry_later(
        self, outbox_id: int, error: BaseException, report: SendReport, *, delay: float
    ) -> None:
        with self.db.session() as session:
            row = session.get(OutboxMessage, outbox_id)
            assert row is not None
            row.attempts += 1
            row.next_attempt_at = self.clock() + timedelta(seconds=delay)
            row.last_error = _describe(error)
        report.retried += 1

    def _give_up(self, outbox_id: int, reason: str, report: SendReport) -> None:
        with self.db.session() as session:
            row = session.get(OutboxMessage, outbox_id)
            assert row is not None
            row.status = "failed"
            row.attempts += 1
            row.last_error = reason[:500]
            session.flush()
            self._settle_digest(session, row.digest_id)
        report.failed += 1
        log.error("outbox message %s failed for good: %s", outbox_id, reason)

    def _retry_or_give_up(self, outbox_id: int, error: BaseException, report: SendReport) -> str:
        with self.db.session() as session:
            row = session.get(OutboxMessage, outbox_id)
            attempts = (row.attempts if row is not None else 0) + 1
        if attempts >= self.max_attempts:
            self._give_up(outbox_id, _describe(error), report)
            return "next"
        delay = min(self.backoff * 2 ** (attempts - 1), self.max_backoff)
        log.warning(
            "outbox message %s: %s; attempt %d, next in %s",
            outbox_id,
            _describe(error),
            attempts,
            delay,
        )
        self._retry_later(outbox_id, error, report, delay=delay.total_seconds())
        return "stop"


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]
