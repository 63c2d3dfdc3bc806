"""Composing a digest: the new clusters matching a subscriber's topics, ranked and grouped.

Each cluster is filed under the first of the subscriber's topics (in the order they were
added) that matches it. Ranking: an item's weight is that topic's match score, times
1 + ½·log2(number of sources), times a recency factor that halves every 48 hours of age (age
from the story's publication, clamped to when it was first seen; see `rank_key`). The best
`max_items` across the whole digest are kept, then grouped by topic.

A digest looks back to the subscriber's previous one, but never more than MAX_LOOKBACK.
The running bot composes every digest from one long-lived `ClusterIndex` per database
(`shared_index`), which its /topic replies (`recent_matches`) use too.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from digests.compose.candidates import EPOCH, ClusterIndex, rank_key
from digests.compose.model import DigestItem, DigestPlan, TopicSection
from digests.storage.models import Cluster, Delivery, Subscriber, Topic
from digests.topics import Query, QueryError, parse_query

log = logging.getLogger(__name__)

FIRST_DIGEST_WINDOW = timedelta(hours=24)
# A digest covers at most the last week, however long ago the previous one was (a
# subscriber who paused for a month gets this week's news, not a month's backlog). A week
# is the clustering window (digests.cluster.CLUSTER_WINDOW): older stories are never merged
# with new copies, and no index has to hold more than that.
MAX_LOOKBACK = timedelta(days=7)
# What the shared index keeps between digest ticks: a day for daily digests and /topic,
# plus an hour for digests moved a little later. An older `since` (a weekly reader, a
# subscriber back from a pause) is loaded for that tick and trimmed at the next.
SHARED_INDEX_WINDOW = FIRST_DIGEST_WINDOW + timedelta(hours=1)

__all__ = [
    "MAX_LOOKBACK",
    "ClusterIndex",
    "compose_digest",
    "preview_digest",
    "rank_key",
    "recent_matches",
    "shared_index",
]


@dataclass(frozen=True)
class _Topic:
    text: str  # as the subscriber's topic is stored / was typed
    query: Query


def compose_digest(
    session: Session,
    subscriber: Subscriber,
    *,
    now: datetime,
    max_items: int | None = None,
    cache: ClusterIndex | None = None,
) -> DigestPlan:
    """The digest `subscriber` gets at `now`.

    Clusters first seen since their last digest (the last 24 hours for a first digest; at
    most MAX_LOOKBACK), matching any of their topics, never delivered to them; at most
    `max_items` (default: the subscriber's setting, else MAX_ITEMS_PER_DIGEST). Pass one
    `cache` to every call of a digest tick so stories are loaded and analyzed once (the
    bot passes `shared_index`); without it the clusters are read for this call only.
    """
    since = max(subscriber.last_digest_at or now - FIRST_DIGEST_WINDOW, now - MAX_LOOKBACK)
    if max_items is None:
        max_items = subscriber.max_items
    if max_items is None:
        from digests.config import get_settings

        max_items = get_settings().max_items_per_digest
    topics = _subscriber_topics(session, subscriber)
    delivered = _delivered(session, subscriber.id, since, now)
    index = cache if cache is not None else ClusterIndex()
    with index.lock:  # one state of a shared index for the whole plan
        return _plan(
            session,
            index,
            topics,
            since=since,
            until=now,
            max_items=max_items,
            exclude=delivered,
            subscriber_id=subscriber.id,
        )


def preview_digest(
    session: Session,
    topics: Sequence[str],
    *,
    now: datetime,
    since: datetime | None,
    max_items: int | None,
    cache: ClusterIndex | None = None,
) -> DigestPlan:
    """The digest someone following `topics` (in that order) would get at `now`, counting
    clusters first seen after `since` (None: all). `max_items` 0 or None: no cap.
    Raises QueryError for a topic that is not a valid query."""
    parsed: list[_Topic] = []
    for text in topics:
        query = parse_query(text)
        if all(topic.query.text != query.text for topic in parsed):
            parsed.append(_Topic(text.strip(), query))
    index = cache if cache is not None else ClusterIndex()
    with index.lock:
        return _plan(
            session,
            index,
            parsed,
            since=since,
            until=now,
            max_items=max_items or 0,
            exclude=frozenset(),
            subscriber_id=None,
        )


def recent_matches(
    session: Session,
    topic: str,
    *,
    now: datetime,
    window: timedelta = timedelta(hours=24),
    cache: ClusterIndex | None = None,
) -> tuple[int, str | None]:
    """How many clusters first seen in the last `window` match `topic`, and the newest
    one's title. Raises QueryError for an invalid query.

    Without `cache`, the database's `shared_index` is used (the one the bot's digest tick
    keeps up to date): stories are analyzed once, not on every call."""
    query = parse_query(topic)
    since = now - window
    index = cache if cache is not None else shared_index(session.get_bind())
    with index.lock:
        if cache is None:
            # Bounded like the tick keeps it; a longer window is loaded for this call.
            index.forget_before(now - max(window, SHARED_INDEX_WINDOW))
            index.refresh(session)
        return _count_recent(session, index, query, since, now)


_SHARED: weakref.WeakKeyDictionary[object, ClusterIndex] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def shared_index(bind: object) -> ClusterIndex:
    """The process-wide `ClusterIndex` of a database (an Engine or Connection; it lives as
    long as that engine): the running bot's digest ticks and /topic replies share it, so a
    day of stories is analyzed once, not once per tick. Hold `index.lock` across calls that
    must see one state (compose_digest does)."""
    with _SHARED_LOCK:
        index = _SHARED.get(bind)
        if index is None:
            index = _SHARED[bind] = ClusterIndex()
        return index


def _count_recent(
    session: Session, index: ClusterIndex, query: Query, since: datetime, now: datetime
) -> tuple[int, str | None]:
    clusters = {c.cluster_id: c for c in index.between(session, since, now)}
    found = [clusters[i] for i in index.matching(query) if i in clusters]
    if not found:
        return 0, None
    newest = max(found, key=lambda c: (c.first_seen_at, c.published, c.cluster_id))
    return len(found), newest.title


def _subscriber_topics(session: Session, subscriber: Subscriber) -> list[_Topic]:
    rows = session.scalars(
        select(Topic).where(Topic.subscriber_id == subscriber.id).order_by(Topic.position, Topic.id)
    )
    topics: list[_Topic] = []
    for row in rows:
        try:
            topics.append(_Topic(row.query, parse_query(row.query)))
        except QueryError as exc:
            # Stored topics were checked when added; one that no longer parses is skipped,
            # not allowed to stop the whole digest.
            log.warning("subscriber %s: skipping topic %r: %s", subscriber.id, row.query, exc)
    return topics


def _delivered(session: Session, subscriber_id: int, since: datetime, until: datetime) -> set[int]:
    """Clusters of the window already delivered to the subscriber (one indexed query)."""
    rows = session.scalars(
        select(Delivery.cluster_id)
        .join(Cluster, Cluster.id == Delivery.cluster_id)
        .where(
            Delivery.subscriber_id == subscriber_id,
            Cluster.first_seen_at > since,
            Cluster.first_seen_at <= until,
        )
    )
    return set(rows)


def _plan(
    session: Session,
    index: ClusterIndex,
    topics: list[_Topic],
    *,
    since: datetime | None,
    until: datetime,
    max_items: int,
    exclude: set[int] | frozenset[int],
    subscriber_id: int | None,
) -> DigestPlan:
    if topics:
        index.load(session, since, until)
    streams = [
        _eligible(index, topics, position, since, until, exclude) for position in range(len(topics))
    ]
    # Each stream is best first and a cluster is in one stream only (its first topic).
    merged = heapq.merge(*streams)
    ranked = list(itertools.islice(merged, max_items) if max_items > 0 else merged)
    sections: list[TopicSection] = []
    for position, topic in enumerate(topics):
        items = tuple(
            _item(index, cluster_id, topic, score)
            for _, where, cluster_id, score in ranked
            if where == position
        )
        if items:
            sections.append(TopicSection(topic=topic.text, items=items))
    return DigestPlan(
        since=since or EPOCH,
        until=until,
        sections=tuple(sections),
        subscriber_id=subscriber_id,
    )


def _eligible(
    index: ClusterIndex,
    topics: list[_Topic],
    position: int,
    since: datetime | None,
    until: datetime,
    exclude: set[int] | frozenset[int],
) -> Iterator[tuple[tuple[float, float, int], int, int, float]]:
    """The clusters filed under topic `position`, best first: matched by it and by no
    earlier topic, first seen in (since, until], not excluded."""
    earlier = [index.matching(topic.query) for topic in topics[:position]]
    for key, cluster_id, score in index.ranked(topics[position].query):
        if cluster_id in exclude or any(cluster_id in found for found in earlier):
            continue
        seen = index.get(cluster_id).first_seen_at
        if (since is None or seen > since) and seen <= until:
            yield key, position, cluster_id, score


def _item(index: ClusterIndex, cluster_id: int, topic: _Topic, score: float) -> DigestItem:
    # The index keeps only scores: the words that matched are found again for the few
    # clusters that go into a digest.
    candidate = index.get(cluster_id)
    match = index.match(topic.query, cluster_id)
    return DigestItem(
        cluster_id=candidate.cluster_id,
        story_id=candidate.story_id,
        title=candidate.title,
        url=candidate.url,
        sources=candidate.sources,
        published=candidate.published,
        summary=candidate.summary,
        topic=topic.text,
        matched=match.matched if match is not None else (),
        score=score,
    )
