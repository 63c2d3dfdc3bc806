"""When each subscriber's digest is due, and the tick that composes and queues due digests.

Due-ness lives in the database (`Subscriber.next_digest_at`, computed in the subscriber's
own zone), so a restart neither repeats nor loses a digest: a slot that fell due while the
bot was down is served once if it is younger than MISSED_DIGEST_GRACE, else skipped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.delivery.outbox import enqueue_digest, enqueue_message
from bot.delivery.sender import OutboxSender
from bot.render import render_digest
from bot.zones import parse_time_of_day, zone_for
from digests.compose.digest import SHARED_INDEX_WINDOW, compose_digest, shared_index
from digests.compose.model import DigestPlan
from digests.config import Settings
from digests.storage import Database
from digests.storage.models import Digest, Subscriber, utcnow

log = logging.getLogger(__name__)

NO_TOPICS_REMINDER = (
    "You don't follow any topics yet, so there is no digest for you today.\n"
    "Add one with /topic followed by a few words, for example: /topic ukraine"
)
NOTHING_NEW_NOTE = "Nothing new on your topics since your last digest."


def _local_instant(day: date, at: time, zone: tzinfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `zone`.

    Ambiguous (fall-back) times give the first occurrence; nonexistent (spring-forward)
    times give the first valid instant after the gap, i.e. the moment clocks jump.
    """
    wall = datetime.combine(day, at)
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # In a gap: with fold=1 the wall time is read with the offset after the change, which
    # lands before the transition; with fold=0 after it. Search the transition between.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = instant
    if low > high:
        low, high = high, low
    low_offset = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == low_offset:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def next_digest_time(digest_time: str, timezone: str, after: datetime) -> datetime:
    """The first moment strictly after `after` (UTC) when the clock in `timezone` reads
    `digest_time` (HH:MM); aware UTC, correct across daylight-saving changes."""
    zone = zone_for(timezone)
    hours, minutes = (int(part) for part in parse_time_of_day(digest_time).split(":"))
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    local_day = after.astimezone(zone).date()
    at = time(hours, minutes)
    for days in range(3):
        candidate = _local_instant(local_day + timedelta(days=days), at, zone)
        if candidate > after:
            return candidate
    raise AssertionError("a wall-clock time recurs within three days")  # pragma: no cover


@dataclass
class TickReport:
    """What one digest tick did."""

    due: int = 0
    queued: int = 0  # digests with stories
    notes: int = 0  # "nothing new" notes and no-topics reminders
    empty: int = 0  # composed, nothing to send, nothing said
    missed: int = 0  # skipped: fell due longer than the grace period ago
    failed: int = 0

    def summary_line(self) -> str:
        return (
            f"{self.due} due: {self.queued} digests queued, {self.notes} notes, "
            f"{self.empty} empty, {self.missed} missed (beyond grace), {self.failed} failed"
        )


@dataclass(frozen=True)
class QueuedDigest:
    """The outcome of composing one digest for one subscriber."""

    plan: DigestPlan | None
    digest: Digest | None
    messages: int


def queue_digest(
    session: Session,
    subscriber: Subscriber,
    *,
    now: datetime,
    due_at: datetime,
    kind: str,
    compose_options: dict[str, Any] | None = None,
) -> QueuedDigest:
    """Compose the subscriber's digest now, render it and put it in the outbox (the one
    path for scheduled digests and /digest). Nothing to send → no Digest row."""
    plan = compose_digest(session, subscriber, now=now, **(compose_options or {}))
    if plan.is_empty:
        return QueuedDigest(plan=plan, digest=None, messages=0)
    messages = render_digest(plan, timezone=zone_for(subscriber.timezone), now=now)  # type: ignore[arg-type]
    digest = enqueue_digest(session, subscriber, plan, messages, due_at=due_at, kind=kind)
    return QueuedDigest(plan=plan, digest=digest, messages=len(messages))


def _queue_note(session: Session, subscriber: Subscriber, text: str, *, now: datetime) -> None:
    note = enqueue_message(session, subscriber, text)
    # Due at the slot it answers (the tick's clock), like the digest it stands in for.
    note.next_attempt_at = min(note.next_attempt_at, now)


def _serve_slot(
    session: Session,
    subscriber: Subscriber,
    *,
    now: datetime,
    grace: timedelta,
    compose_options: dict[str, Any],
) -> str:
    """Handle one due subscriber inside one transaction; returns what happened."""
    slot = subscriber.next_digest_at
    after = now if slot is None else max(now, slot)
    following = next_digest_time(subscriber.digest_time, subscriber.timezone, after)
    if slot is None:
        subscriber.next_digest_at = following
        return "unscheduled"
    if now - slot > grace:
        subscriber.next_digest_at = next_digest_time(
            subscriber.digest_time, subscriber.timezone, now
        )
        return "missed"
    outcome = "empty"
    if not subscriber.topics:
        # One reminder, not a daily nag; adding a topic clears the mark.
        if subscriber.no_topics_reminded_at is None:
            _queue_note(session, subscriber, NO_TOPICS_REMINDER, now=now)
            subscriber.no_topics_reminded_at = now
            outcome = "note"
    else:
        queued = queue_digest(
            session,
            subscriber,
            now=now,
            due_at=slot,
            kind="scheduled",
            compose_options=compose_options,
        )
        if queued.digest is not None:
            outcome = "queued"
        elif subscriber.notify_empty:
            _queue_note(session, subscriber, NOTHING_NEW_NOTE, now=now)
            outcome = "note"
        subscriber.last_digest_at = now
    subscriber.next_digest_at = following
    return outcome


def queue_due_digests(
    db: Database,
    settings: Settings,
    *,
    now: datetime,
    compose_options: dict[str, Any] | None = None,
    stop: threading.Event | None = None,
) -> TickReport:
    """Compose and queue every digest due at `now` (sync: run it off the event loop).

    Each subscriber is one transaction: the outbox rows, last_digest_at and the next slot
    are committed together, so a crash leaves either all of it or none of it. Once `stop`
    is set (the bot is shutting down) no further subscriber is started: they stay due for
    the next tick.
    """
    report = TickReport()
    options = dict(compose_options or {})
    # One index of the candidate clusters for the life of the process, shared with /topic:
    # each story is loaded and analyzed once, not once per subscriber nor once per tick.
    # Every tick brings it up to date (even with nobody due, so /topic replies find the
    # day analyzed) and trims it to the last day; digests looking further back load the
    # rest for this tick.
    index = options.setdefault("cache", shared_index(db.engine))
    with db.session() as session:
        index.keep_window(session, now - SHARED_INDEX_WINDOW, now)
        due_ids = list(
            session.scalars(
                select(Subscriber.id)
                .where(Subscriber.active.is_(True))
                .where(or_(Subscriber.next_digest_at <= now, Subscriber.next_digest_at.is_(None)))
                .order_by(Subscriber.next_digest_at, Subscriber.id)
            )
        )
    for done, subscriber_id in enumerate(due_ids):
        if stop is not None and stop.is_set():
            log.info(
                "digest tick stopped: %d due subscribers left for the next tick",
                len(due_ids) - done,
            )
            break
        try:
            with db.session() as session:
                subscriber = session.get(Subscriber, subscriber_id)
                if subscriber is None or not subscriber.active:
                    continue
                if subscriber.next_digest_at is not None and subscriber.next_digest_at > now:
                    continue  # served meanwhile (another tick)
                outcome = _serve_slot(
                    session,
                    subscriber,
                    now=now,
                    grace=settings.missed_digest_grace,
                    compose_options=options,
                )
        except IntegrityError:
            # The unique (subscriber, due_at) digest exists: another tick queued this slot.
            log.info("digest for subscriber %s already queued elsewhere", subscriber_id)
            continue
        except Exception:
            report.failed += 1
            log.exception("digest for subscriber %s failed; retrying next tick", subscriber_id)
            continue
        if outcome == "unscheduled":
            continue
        report.due += 1
        if outcome == "queued":
            report.queued += 1
        elif outcome == "note":
            report.notes += 1
        elif outcome == "missed":
            report.missed += 1
            log.info("subscriber %s: digest missed beyond the grace period, skipped", subscriber_id)
        else:
            report.empty += 1
    return report


async def send_due_digests(
    db: Database,
    bot_or_sender: Any,
    settings: Settings,
    *,
    now: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
    stop: threading.Event | None = None,
) -> int:
    """Queue every digest due at `now` (default: `clock()`), then send the outbox; `stop`
    ends the queueing between subscribers (see `queue_due_digests`).

    `bot_or_sender` is an OutboxSender, a telegram.Bot (a sender is made for it) or None
    (queue only). Returns how many digests and notes were queued.
    """
    moment = now or clock()
    report = await asyncio.to_thread(queue_due_digests, db, settings, now=moment, stop=stop)
    if report.due or report.failed:
        log.info("digest tick: %s", report.summary_line())
    if bot_or_sender is not None:
        sender = (
            bot_or_sender
            if isinstance(bot_or_sender, OutboxSender)
            else OutboxSender(db, bot_or_sender, clock=clock)
        )
        await sender.send_pending()
    return report.queued + report.notes
