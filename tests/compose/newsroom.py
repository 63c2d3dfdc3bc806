"""Building the rows a digest reads: feeds, clusters of story copies, subscribers, deliveries."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from digests.storage import Database
from digests.storage.models import Cluster, Delivery, Feed, Story, Subscriber, Topic


@dataclass
class Copy:
    """One story row of a cluster."""

    feed: str | None = None  # feed title; None: no feed (outlet from the URL host)
    title: str = ""
    text: str = ""
    summary: list[str] = field(default_factory=list)
    feed_summary: str = ""
    published: datetime | None = None
    url: str | None = None
    seen: datetime | None = None


class Newsroom:
    """Writes clusters as clustering leaves them; the first copy is the representative."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.feeds: dict[str, int] = {}
        self._numbers = itertools.count(1)

    def feed(self, title: str) -> int:
        if title not in self.feeds:
            with self.db.session() as session:
                slug = "".join(ch for ch in title.lower() if ch.isalnum()) or "feed"
                row = Feed(url=f"https://{slug}-{len(self.feeds)}.example/rss", title=title)
                session.add(row)
                session.flush()
                self.feeds[title] = row.id
        return self.feeds[title]

    def cluster(self, seen: datetime, *copies: Copy, representative: int = 0) -> int:
        feed_ids = [self.feed(copy.feed) if copy.feed else None for copy in copies]
        with self.db.session() as session:
            cluster = Cluster(first_seen_at=seen, updated_at=seen, story_count=len(copies))
            session.add(cluster)
            session.flush()
            stories = []
            for copy, feed_id in zip(copies, feed_ids, strict=True):
                story = self._story(copy, feed_id, cluster.id, seen)
                session.add(story)
                stories.append(story)
            session.flush()
            cluster.representative_story_id = stories[representative].id
            return cluster.id

    def _story(self, copy: Copy, feed_id: int | None, cluster_id: int, seen: datetime) -> Story:
        """An extracted story row for `copy` in a cluster (a made-up URL when it has none)."""
        number = next(self._numbers)
        url = copy.url or f"https://www.outlet{number}.example/news/{number}"
        return Story(
            feed_id=feed_id,
            url=url,
            canonical_url=url,
            title=copy.title,
            text=copy.text,
            summary=copy.summary,
            feed_summary=copy.feed_summary,
            published_at=copy.published,
            first_seen_at=copy.seen or seen,
            status="extracted",
            cluster_id=cluster_id,
        )

    def add_copy(self, cluster_id: int, copy: Copy, *, at: datetime) -> int:
        """A copy joining a cluster, as a clustering run at `at` records it (the
        representative stays)."""
        feed_id = self.feed(copy.feed) if copy.feed else None
        with self.db.session() as session:
            cluster = session.get(Cluster, cluster_id)
            story = self._story(copy, feed_id, cluster_id, at)
            session.add(story)
            cluster.story_count += 1
            cluster.updated_at = at
            session.flush()
            return story.id

    def subscriber(
        self,
        *topics: str,
        last_digest_at: datetime | None = None,
        max_items: int | None = None,
    ) -> int:
        with self.db.session() as session:
            number = next(self._numbers)
            subscriber = Subscriber(
                chat_id=1000 + number, last_digest_at=last_digest_at, max_items=max_items
            )
            session.add(subscriber)
            session.flush()
            for position, query in enumerate(topics):
                session.add(Topic(subscriber_id=subscriber.id, query=query, position=position))
            return subscriber.id

    def deliver(self, subscriber_id: int, *cluster_ids: int) -> None:
        with self.db.session() as session:
            for cluster_id in cluster_ids:
                session.add(Delivery(subscriber_id=subscriber_id, cluster_id=cluster_id))
