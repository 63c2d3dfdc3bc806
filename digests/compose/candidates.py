"""The clusters a digest can draw from, loaded and analyzed once per digest tick.

Composing digests for thousands of subscribers must not re-read or re-analyze each story
per subscriber: a `ClusterIndex` loads the clusters of a time span with all their copies in
two queries, analyzes each representative story once (`analyze_story`) and matches each
distinct topic once against all of them. Pass one index to every `compose_digest` call of
a tick; it is a snapshot, so make a new one for the next tick.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from urllib.parse import urlsplit

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from digests.storage.models import Cluster, Feed, Story
from digests.topics import Query, StoryText, TopicMatch, analyze_story, match_story

# A summary made from the feed's description when no copy has summary sentences.
_FALLBACK_SUMMARY_CHARS = 300
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RECENCY_HALF_LIFE_HOURS = 48.0
# When an index extends forward it re-reads this much before its last upper bound: a
# clustering run that started earlier may commit clusters "first seen" before that bound.
LATE_COMMIT_MARGIN = timedelta(minutes=30)

# (sort key, cluster id, match): sort keys ascend from the best item.
RankedMatch = tuple[tuple[float, float, int], int, TopicMatch]


@dataclass(frozen=True)
class ClusterCandidate:
    """One cluster as a digest shows it: its representative copy and all its sources."""

    cluster_id: int
    first_seen_at: datetime
    story_id: int
    title: str
    url: str
    # Outlet names, the representative's first, each once.
    sources: tuple[str, ...]
    # The earliest publication time among the copies, else when the cluster was first seen.
    published: datetime
    summary: tuple[str, ...]
    text: StoryText

    @cached_property
    def freshness_time(self) -> datetime:
        """The time recency is ranked by: publication, but never after it was first seen
        nor more than a week before (feeds get dates wrong)."""
        earliest = self.first_seen_at - timedelta(days=7)
        return min(max(self.published, earliest), self.first_seen_at)


def rank_key(candidate: ClusterCandidate, match: TopicMatch) -> tuple[float, float, int]:
    """Sort key of an item, best first.

    The weight is score × (1 + ½·log2(sources)) × ½^(age / 48 h). Its log2 is, up to a term
    shared by every item of one digest (the digest's own time), log2(score) +
    log2(1 + ½·log2(sources)) + freshness/48 h: so the order does not depend on when the
    digest is composed and can be computed once per topic for every subscriber.
    Ties: newer first, then the earlier cluster.
    """
    fresh = candidate.freshness_time.timestamp()
    sources = 1 + 0.5 * math.log2(max(len(candidate.sources), 1))
    value = (
        math.log2(max(match.score, 1e-9))
        + math.log2(sources)
        + fresh / 3600 / RECENCY_HALF_LIFE_HOURS
    )
    return (-value, -fresh, candidate.cluster_id)


class ClusterIndex:
    """Clusters first seen in a time span, each analyzed once, each topic matched once."""

    def __init__(self) -> None:
        self._clusters: dict[int, ClusterCandidate] = {}
        self._order: list[int] = []
        # Loaded span (lower, upper]: None lower means unbounded.
        self._span: tuple[datetime | None, datetime] | None = None
        # analyze_story results (C's AnalyzedStory), per cluster.
        self._analyzed: dict[int, object] = {}
        # Per query text: how many of `_order` were matched, and the matches found.
        self._matches: dict[str, tuple[int, dict[int, TopicMatch]]] = {}
        self._ranked: dict[str, tuple[int, list[RankedMatch]]] = {}
        self._outlets: dict[int, str] | None = None

    def between(
        self, session: Session, since: datetime | None, until: datetime
    ) -> list[ClusterCandidate]:
        """The clusters first seen in (since, until], loading what is not loaded yet."""
        self.load(session, since, until)
        return [
            c
            for c in (self._clusters[i] for i in self._order)
            if (since is None or c.first_seen_at > since) and c.first_seen_at <= until
        ]

    def matching(self, query: Query) -> dict[int, TopicMatch]:
        """Every loaded cluster the query matches (cluster id -> match)."""
        done, found = self._matches.get(query.text, (0, {}))
        for cluster_id in self._order[done:]:
            match = match_story(query, self._analysis(cluster_id))
            if match is not None:
                found[cluster_id] = match
        self._matches[query.text] = (len(self._order), found)
        return found

    def ranked(self, query: Query) -> list[RankedMatch]:
        """The loaded clusters the query matches, best first (see `rank_key`)."""
        done, ranked = self._ranked.get(query.text, (-1, []))
        if done != len(self._order):
            ranked = sorted(
                (rank_key(self._clusters[cluster_id], match), cluster_id, match)
                for cluster_id, match in self.matching(query).items()
            )
            self._ranked[query.text] = (len(self._order), ranked)
        return ranked

    def forget_before(self, moment: datetime) -> None:
        """Drop the clusters first seen at or before `moment` (keeps a long-lived index to
        a rolling window)."""
        gone = {i for i, c in self._clusters.items() if c.first_seen_at <= moment}
        old_order = self._order
        self._order = [i for i in old_order if i not in gone]
        for cluster_id in gone:
            del self._clusters[cluster_id]
            self._analyzed.pop(cluster_id, None)
        for text, (done, found) in self._matches.items():
            for cluster_id in gone:
                found.pop(cluster_id, None)
            # Matched clusters are a prefix of the load order; so are the survivors of it.
            kept = sum(1 for i in old_order[:done] if i not in gone)
            self._matches[text] = (kept, found)
        self._ranked.clear()
        if self._span is not None:
            lower, upper = self._span
            if moment >= upper:
                self._span = None
            elif lower is None or lower < moment:
                self._span = (moment, upper)

    def get(self, cluster_id: int) -> ClusterCandidate:
        return self._clusters[cluster_id]

    def _analysis(self, cluster_id: int) -> object:
        analyzed = self._analyzed.get(cluster_id)
        if analyzed is None:
            analyzed = analyze_story(self._clusters[cluster_id].text)
            self._analyzed[cluster_id] = analyzed
        return analyzed

    def load(self, session: Session, since: datetime | None, until: datetime) -> None:
        """Make sure every cluster first seen in (since, until] is loaded."""
        if self._span is None:
            self._load(session, since, until)
            self._span = (since, until)
            return
        lower, upper = self._span
        if lower is not None and (since is None or since < lower):
            self._load(session, since, lower)
            lower = since
        if until > upper:
            self._load(session, upper - LATE_COMMIT_MARGIN, until)
            upper = until
        self._span = (lower, upper)

    def _load(self, session: Session, since: datetime | None, until: datetime) -> None:
        outlets = self._feed_outlets(session)
        is_representative = Story.id == Cluster.representative_story_id
        query = (
            select(
                Story.id,
                Story.cluster_id,
                Story.title,
                Story.url,
                Story.feed_id,
                Story.feed_summary,
                Story.summary,
                Story.language,
                Story.published_at,
                Story.first_seen_at,
                func.length(Story.text).label("text_length"),
                case((is_representative, Story.text), else_="").label("rep_text"),
                Cluster.first_seen_at.label("cluster_seen"),
                Cluster.representative_story_id,
            )
            .join(Cluster, Cluster.id == Story.cluster_id)
            .where(Cluster.first_seen_at <= until)
            .order_by(Story.cluster_id, Story.first_seen_at, Story.id)
        )
        if since is not None:
            query = query.where(Cluster.first_seen_at > since)
        members: dict[int, list] = {}
        for row in session.execute(query):
            members.setdefault(row.cluster_id, []).append(row)
        missing_text = [
            rows
            for rows in members.values()
            if not any(r.id == r.representative_story_id for r in rows)
        ]
        texts = self._fullest_texts(session, missing_text)
        for cluster_id, rows in members.items():
            if cluster_id in self._clusters:
                continue
            self._clusters[cluster_id] = _candidate(rows, outlets, texts)
            self._order.append(cluster_id)

    def _feed_outlets(self, session: Session) -> dict[int, str]:
        if self._outlets is None:
            self._outlets = {
                feed_id: title.strip()
                for feed_id, title in session.execute(select(Feed.id, Feed.title))
                if title and title.strip()
            }
        return self._outlets

    @staticmethod
    def _fullest_texts(session: Session, clusters: Iterable[list]) -> dict[int, str]:
        # Clusters without a recorded representative (not expected; clustering sets it):
        # fetch the fullest copy's text.
        ids = [max(rows, key=lambda r: r.text_length or 0).id for rows in clusters]
        if not ids:
            return {}
        return dict(session.execute(select(Story.id, Story.text).where(Story.id.in_(ids))).all())


def _candidate(rows: list, outlets: dict[int, str], texts: dict[int, str]) -> ClusterCandidate:
    representative = next((r for r in rows if r.id == r.representative_story_id), None)
    if representative is None:
        representative = max(rows, key=lambda r: r.text_length or 0)
        text = texts.get(representative.id, "")
    else:
        text = representative.rep_text or ""
    ordered = [representative, *(r for r in rows if r is not representative)]
    sources: list[str] = []
    for row in ordered:
        name = outlets.get(row.feed_id) or _host(row.url)
        if name and name not in sources:
            sources.append(name)
    published = [r.published_at for r in rows if r.published_at is not None]
    summary = _summary(ordered)
    title = representative.title or next((r.title for r in ordered if r.title), "")
    return ClusterCandidate(
        cluster_id=representative.cluster_id,
        first_seen_at=representative.cluster_seen,
        story_id=representative.id,
        title=title,
        url=representative.url,
        sources=tuple(sources),
        published=min(published) if published else representative.cluster_seen,
        summary=summary,
        text=StoryText(
            title=title,
            summary=" ".join(
                part
                for part in (representative.feed_summary, *(representative.summary or ()))
                if part
            ),
            body=text,
            language=representative.language or "",
        ),
    )


def _summary(ordered: list) -> tuple[str, ...]:
    """The representative's summary sentences, else a copy's, else its feed description."""
    for row in ordered:
        if row.summary:
            return tuple(str(sentence) for sentence in row.summary)
    for row in ordered:
        description = " ".join((row.feed_summary or "").split())
        if description:
            if len(description) > _FALLBACK_SUMMARY_CHARS:
                cut = description[:_FALLBACK_SUMMARY_CHARS].rsplit(" ", 1)[0]
                description = cut + "…"
            return (description,)
    return ()


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
