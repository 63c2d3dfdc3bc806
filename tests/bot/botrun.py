"""Running the real bot Application against the fake Telegram in a test's event loop, a
clock the test turns, and news stories put straight into the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram.ext import Application

from digests.storage import Database
from digests.storage.models import Cluster, Feed, Story
from tests.support.fake_telegram import FakeTelegram, SentMessage


class TestClock:
    """A clock that stands still until the test moves it."""

    __test__ = False  # not a test class

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return self.now


@asynccontextmanager
async def running_bot(application: Application) -> AsyncIterator[Application]:
    """The application as `run_polling` runs it (initialize, post_init, long polling,
    start), in the current event loop; stopped and shut down afterwards."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait (without blocking the loop) until `condition()` holds; fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await asyncio.sleep(0.02)


@dataclass
class Conversation:
    """A user in one chat talking to the running bot through the fake Telegram."""

    fake: FakeTelegram
    chat_id: int
    chat_type: str | None = None
    last_update_id: int | None = None

    def sent(self) -> list[SentMessage]:
        return self.fake.sent_to(self.chat_id)

    async def send(self, text: str, *, replies: int = 1, within: float = 10.0) -> list[str]:
        """Write `text` in the chat; return the visible texts of the next `replies` messages
        the bot sends there (waiting for them)."""
        before = len(self.sent())
        kwargs = {"chat_type": self.chat_type} if self.chat_type else {}
        update = self.fake.push_message(self.chat_id, text, **kwargs)
        self.last_update_id = update["update_id"]
        await wait_until(lambda: len(self.sent()) >= before + replies, within)
        await wait_until(lambda: not self.fake.pending_updates(), within)
        return [message.plain for message in self.sent()[before:]]

    async def press(self, data: str, *, within: float = 10.0) -> str:
        """Press the inline button `data` under the newest keyboard; returns the query id
        once the bot has answered it."""
        query_id = self.fake.push_callback(self.chat_id, data)
        await wait_until(lambda: query_id in self.fake.callback_answers, within)
        return query_id


def add_story(
    db: Database,
    title: str,
    summary: list[str],
    *,
    first_seen_at: datetime,
    feed_title: str = "World News",
    url: str | None = None,
) -> int:
    """A processed story in its own cluster, as the pipeline leaves it; returns the cluster id."""
    with db.session() as session:
        feed = session.query(Feed).filter_by(title=feed_title).one_or_none()
        if feed is None:
            slug = feed_title.lower().replace(" ", "-")
            feed = Feed(url=f"http://127.0.0.1/{slug}.xml", title=feed_title, site_url="")
            session.add(feed)
            session.flush()
        link = url or f"https://news.example/{abs(hash((title, first_seen_at)))}"
        cluster = Cluster(first_seen_at=first_seen_at, updated_at=first_seen_at, story_count=1)
        session.add(cluster)
        session.flush()
        story = Story(
            feed_id=feed.id,
            guid=link,
            url=link,
            canonical_url=link,
            title=title,
            feed_summary=" ".join(summary),
            published_at=first_seen_at - timedelta(minutes=30),
            first_seen_at=first_seen_at,
            status="extracted",
            text=" ".join(summary * 3),
            summary=summary,
            language="en",
            extractor="newspaper4k",
            processed_at=first_seen_at,
            cluster_id=cluster.id,
        )
        session.add(story)
        session.flush()
        cluster.representative_story_id = story.id
        return cluster.id
