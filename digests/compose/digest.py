"""Composing a digest: the new clusters matching a subscriber's topics, ranked and grouped.

Ranking: an item's weight is its topic match score, times 1 + ½·log2(number of sources),
times a recency factor that halves every 48 hours of age (age from the story's publication,
clamped to when it was first seen). Items are capped (best first) across the whole digest,
then filed under their first matching topic, in the order the topics were added.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from digests.compose.candidates import EPOCH, ClusterCandidate, ClusterIndex
from digests.compose.model import DigestItem, DigestPlan, TopicSection
from digests.storage.models import Cluster, Delivery, Subscriber, Topic
from digests.topics import Query, QueryError, TopicMatch, parse_query

log = logging.getLogger(__name__)

FIRST_DIGEST_WINDOW = timedelta(hours=24)
RECENCY_HALF_LIFE_HOURS = 48.0

__all__ = ["ClusterIndex", "compose_digest", "preview_digest", "recent_matches"]


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

    Clusters first seen since their last digest (the last 24 hours for a first digest),
    matching any of their topics, never delivered to them; at most `max_items` (default:
    the subscriber's setting, else MAX_ITEMS_PER_DIGEST). Pass one `cache` to every call of
    a digest tick so stories are loaded and analyzed once.
    """
    since = subscriber.last_digest_at or now - FIRST_DIGEST_WINDOW
    if max_items is None:
        max_items = subscriber.max_items
    if max_items is None:
        from digests.config import get_settings

        max_items = get_settings().max_items_per_digest
    topics = _subscriber_topics(session, subscriber)
    delivered = _delivered(session, subscriber.id, since, now)
    index = cache or ClusterIndex()
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
    return _plan(
        session,
        cache or ClusterIndex(),
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
    one's title. Raises QueryError for an invalid query."""
    query = parse_query(topic)
    index = cache or ClusterIndex()
    since = now - window
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
    chosen: dict[int, tuple[int, TopicMatch]] = {}  # cluster -> (topic position, match)
    if topics:
        index.load(session, since, until)
    for position, topic in enumerate(topics):
        for cluster_id, match in index.matching(topic.query).items():
            if cluster_id in exclude or cluster_id in chosen:
                continue
            seen = index.get(cluster_id).first_seen_at
            if (since is None or seen > since) and seen <= until:
                chosen[cluster_id] = (position, match)
    ranked = sorted(
        chosen.items(),
        key=lambda entry: _rank_key(index.get(entry[0]), entry[1][1], until),
    )
    if max_items > 0:
        ranked = ranked[:max_items]
    sections: list[TopicSection] = []
    for position, topic in enumerate(topics):
        items = tuple(
            _item(index.get(cluster_id), topic.text, match)
            for cluster_id, (where, match) in ranked
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


def rank_weight(score: float, sources: int, age: timedelta) -> float:
    """An item's weight: topic score, boosted by more sources, decayed by age."""
    hours = max(age.total_seconds() / 3600, 0.0)
    recency = 0.5 ** (hours / RECENCY_HALF_LIFE_HOURS)
    return score * (1 + 0.5 * math.log2(max(sources, 1))) * recency


def _rank_key(candidate: ClusterCandidate, match: TopicMatch, until: datetime):
    weight = rank_weight(match.score, len(candidate.sources), until - candidate.freshness_time)
    # Best first; ties: newer first, then the earlier cluster (stable output).
    return (-weight, -candidate.freshness_time.timestamp(), candidate.cluster_id)


def _item(candidate: ClusterCandidate, topic: str, match: TopicMatch) -> DigestItem:
    return DigestItem(
        cluster_id=candidate.cluster_id,
        story_id=candidate.story_id,
        title=candidate.title,
        url=candidate.url,
        sources=candidate.sources,
        published=candidate.published,
        summary=candidate.summary,
        topic=topic,
        matched=tuple(match.matched),
        score=match.score,
    )
