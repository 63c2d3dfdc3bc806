"""A digest tick asked to stop (the bot shutting down) stops between subscribers; the ones
it did not reach keep their slot and are served by the next tick."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from bot.scheduling import queue_due_digests
from digests.config import Settings
from digests.storage import Database
from digests.storage.models import Digest, Subscriber, Topic
from tests.bot.botrun import TestClock, add_story

CHATS = range(200_000, 200_005)


class StopAfterChecks(threading.Event):
    """A stop flag that gets set once the tick has looked at it `checks` times (as if
    SIGTERM came while the tick worked on that subscriber)."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks = checks

    def is_set(self) -> bool:
        self.checks -= 1
        if self.checks < 0:
            self.set()
        return super().is_set()


def _due_subscribers(db: Database, clock: TestClock) -> None:
    add_story(db, "Ukraine story", ["A sentence."], first_seen_at=clock.now - timedelta(hours=1))
    with db.session() as session:
        for chat in CHATS:
            session.add(
                Subscriber(
                    chat_id=chat,
                    timezone="UTC",
                    digest_time="10:00",
                    next_digest_at=clock.now,
                    topics=[Topic(query="ukraine", position=1)],
                )
            )


def _digests(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count(Digest.id))) or 0


def test_a_tick_asked_to_stop_leaves_the_rest_due_for_the_next_tick(
    db: Database, bot_settings: Settings, clock: TestClock
) -> None:
    _due_subscribers(db, clock)
    stopped = queue_due_digests(db, bot_settings, now=clock.now, stop=StopAfterChecks(2))
    assert (stopped.due, stopped.queued) == (2, 2)
    assert _digests(db) == 2
    with db.session() as session:
        still_due = session.scalars(
            select(Subscriber.chat_id).where(Subscriber.next_digest_at <= clock.now)
        ).all()
    assert len(still_due) == 3
    following = queue_due_digests(db, bot_settings, now=clock.now, stop=threading.Event())
    assert (following.due, following.queued) == (3, 3)
    assert _digests(db) == 5


def test_a_tick_started_after_the_stop_serves_nobody(
    db: Database, bot_settings: Settings, clock: TestClock
) -> None:
    _due_subscribers(db, clock)
    stop = threading.Event()
    stop.set()
    report = queue_due_digests(db, bot_settings, now=clock.now, stop=stop)
    assert report.due == 0
    assert _digests(db) == 0
