"""The clusters a digest can draw from, loaded and analyzed once, kept between ticks.

Composing digests for thousands of subscribers must not re-read or re-analyze each story
per subscriber: a `ClusterIndex` loads the clusters of a time span with all their copies in
two queries, analyzes each representative story once (`analyze_story`, when it is loaded;
only the analysis is kept, not the text) and matches each distinct topic once against all
of them. The running bot keeps one index per database for its whole life (see
`digests.compose.digest.shared_index`): each tick extends it forward, `refresh`es the
clusters that changed since they were read (a copy joined, the representative changed) and
`forget_before` trims it to the window digests look at. Every public method takes the
index's `lock` (re-entrant); hold it yourself across several calls that must see one state.
"""

from __future__ import annotations

import math
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from urllib.parse import urlsplit

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from digests.storage.models import Cluster, Feed, Story
from digests.topics import (
    AnalyzedStory,
    Query,
    StoryText,
    TopicMatch,
    analyze_story,
    match_score,
    match_story,
    query_keys,
)
from digests.topics.matching import MAX_BODY_CHARS

# A summary made from the feed's description when no copy has summary sentences.
_FALLBACK_SUMMARY_CHARS = 300
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RECENCY_HALF_LIFE_HOURS = 48.0
# When an index extends forward it re-reads this much before its last upper bound: a
# clustering run that started earlier may commit clusters "first seen" before that bound.
# `refresh` looks back as far before the newest change it has seen, for the same reason.
LATE_COMMIT_MARGIN = timedelta(minutes=30)
# Loading reads this many rows at a time, and analyzes this many clusters at a time.
LOAD_CHUNK_ROWS = 1000
LOAD_CHUNK_CLUSTERS = 500
# The key index is rebuilt (its dead slots dropped) when they outnumber the live ones and
# are at least this many.
MIN_DEAD_SLOTS_TO_COMPACT = 1000

# (sort key, cluster id, score): sort keys ascend from the best item.
RankedMatch = tuple[tuple[float, float, int], int, float]


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
    # What `refresh` compares: the cluster's updated_at, copies and representative.
    version: tuple[datetime | None, int, int | None] = (None, 0, None)

    @cached_property
    def freshness_time(self) -> datetime:
        """The time recency is ranked by: publication, but never after it was first seen
        nor more than a week before (feeds get dates wrong)."""
        earliest = self.first_seen_at - timedelta(days=7)
        return min(max(self.published, earliest), self.first_seen_at)


def rank_key(candidate: ClusterCandidate, score: float) -> tuple[float, float, int]:
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
        math.log2(max(score, 1e-9)) + math.log2(sources) + fresh / 3600 / RECENCY_HALF_LIFE_HOURS
    )
    return (-value, -fresh, candidate.cluster_id)


class TopicMatches:
    """The clusters one topic matches, with their scores: compact, because the bot keeps
    this for every distinct topic of its subscribers (hundreds of matches each), while the
    words that matched are only needed for the few clusters that go into a digest
    (`ClusterIndex.match`). Cluster ids ascending; scores in thousandths (TopicMatch.score
    is rounded to three decimals)."""

    __slots__ = ("_ids", "_scores")

    def __init__(self) -> None:
        self._ids = array("q")
        self._scores = array("I")

    def __contains__(self, cluster_id: object) -> bool:
        ids = self._ids
        i = bisect_left(ids, cluster_id)  # type: ignore[arg-type]
        return i < len(ids) and ids[i] == cluster_id

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def score(self, cluster_id: int) -> float:
        i = bisect_left(self._ids, cluster_id)
        if i == len(self._ids) or self._ids[i] != cluster_id:
            raise KeyError(cluster_id)
        return self._scores[i] / 1000

    def items(self) -> Iterator[tuple[int, float]]:
        return ((i, s / 1000) for i, s in zip(self._ids, self._scores, strict=True))

    def add(self, found: dict[int, float]) -> None:
        merged = dict(zip(self._ids, self._scores, strict=True))
        merged.update((cluster_id, round(score * 1000)) for cluster_id, score in found.items())
        self._set(merged)

    def discard(self, cluster_ids: Iterable[int]) -> None:
        gone = [cluster_id for cluster_id in cluster_ids if cluster_id in self]
        if gone:
            merged = dict(zip(self._ids, self._scores, strict=True))
            for cluster_id in gone:
                del merged[cluster_id]
            self._set(merged)

    def _set(self, merged: dict[int, int]) -> None:
        ordered = sorted(merged)
        self._ids = array("q", ordered)
        self._scores = array("I", (merged[cluster_id] for cluster_id in ordered))


class ClusterIndex:
    """Clusters first seen in a time span, each analyzed once, each topic matched once."""

    def __init__(self) -> None:
        # Guards everything below: the bot's digest tick and its /topic handlers share one
        # index from different threads.
        self.lock = threading.RLock()
        self._clusters: dict[int, ClusterCandidate] = {}
        self._order: list[int] = []
        # Loaded span (lower, upper]: None lower means unbounded.
        self._span: tuple[datetime | None, datetime] | None = None
        self._analyzed: dict[int, AnalyzedStory] = {}
        # The key index: each analysis gets a slot (in the order they are made; a cluster
        # analyzed again gets a new one) and `_postings` lists, per key of the analyses, the
        # slots having it, ascending. A query is matched only against the slots sharing its
        # keys (`query_keys`) instead of every cluster. Slots of forgotten or re-analyzed
        # clusters are dead (None) until `_compact_slots` renumbers.
        self._slots: list[int | None] = []
        self._slot_of: dict[int, int] = {}
        self._postings: dict[str, array] = {}
        self._dead_slots = 0
        # The languages of the analyses (query keys depend on them); only grows.
        self._languages: set[tuple[str, ...]] = set()
        # Per query text: the slots below this one were matched, and the matches found.
        self._matches: dict[str, tuple[int, TopicMatches]] = {}
        # Per query text: the slot count when ranked, and its matches' ids best first.
        self._ranked: dict[str, tuple[int, array]] = {}
        self._outlets: dict[int, str] | None = None
        # The newest Cluster.updated_at read so far (see `refresh`).
        self._newest_change: datetime | None = None

    def between(
        self, session: Session, since: datetime | None, until: datetime
    ) -> list[ClusterCandidate]:
        """The clusters first seen in (since, until], loading what is not loaded yet."""
        with self.lock:
            self.load(session, since, until)
            return [
                c
                for c in (self._clusters[i] for i in self._order)
                if (since is None or c.first_seen_at > since) and c.first_seen_at <= until
            ]

    def matching(self, query: Query) -> TopicMatches:
        """Every loaded cluster the query matches, with its score."""
        with self.lock:
            done, found = self._matches.get(query.text, (0, None))
            if found is None:
                found = TopicMatches()
            end = len(self._slots)
            if done < end:
                slots = self._slots
                new: dict[int, float] = {}
                for slot in self._candidate_slots(query, done):
                    cluster_id = slots[slot]
                    if cluster_id is None:
                        continue
                    score = match_score(query, self._analyzed[cluster_id])
                    if score is not None:
                        new[cluster_id] = score
                if new:
                    found.add(new)
            self._matches[query.text] = (end, found)
            return found

    def match(self, query: Query, cluster_id: int) -> TopicMatch | None:
        """How `query` matches a loaded cluster, with the words that matched."""
        with self.lock:
            return match_story(query, self._analyzed[cluster_id])

    def _candidate_slots(self, query: Query, start: int) -> list[int]:
        """The slots from `start` on whose analyses have the keys `query` needs (see
        `query_keys`), ascending: the only ones it can match."""
        postings = self._postings
        found: set[int] = set()
        for alternative in query_keys(query, sorted(self._languages)):
            having: set[int] | None = None
            for keys in alternative:
                slots: set[int] = set()
                for key in keys:
                    listed = postings.get(key)
                    if listed is not None:
                        slots.update(listed[bisect_left(listed, start) :])
                having = slots if having is None else having & slots
                if not having:
                    break
            if having:
                found |= having
        return sorted(found)

    def _analyze(self, cluster_id: int, story: StoryText) -> None:
        """Analyze a cluster's representative story (again) and index it by its keys."""
        analyzed = analyze_story(story)
        self._analyzed[cluster_id] = analyzed
        self._languages.add(analyzed.languages)
        old = self._slot_of.get(cluster_id)
        if old is not None:
            self._slots[old] = None
            self._dead_slots += 1
        slot = len(self._slots)
        self._slots.append(cluster_id)
        self._slot_of[cluster_id] = slot
        self._index_keys(analyzed, slot)

    def _index_keys(self, analyzed: AnalyzedStory, slot: int) -> None:
        postings = self._postings
        for key in analyzed.keys:
            listed = postings.get(key)
            if listed is None:
                postings[key] = array("I", (slot,))
            else:
                listed.append(slot)

    def _compact_slots(self) -> None:
        """Renumber the live slots (same order) and rebuild the key index without the
        dead ones, once they outnumber the live."""
        if self._dead_slots < max(MIN_DEAD_SLOTS_TO_COMPACT, len(self._slot_of)):
            return
        old_live = [slot for slot, cluster_id in enumerate(self._slots) if cluster_id is not None]
        self._slots = [self._slots[slot] for slot in old_live]
        self._slot_of = {cluster_id: slot for slot, cluster_id in enumerate(self._slots)}
        self._dead_slots = 0
        self._postings = {}
        for slot, cluster_id in enumerate(self._slots):
            self._index_keys(self._analyzed[cluster_id], slot)
        # A query matched the old slots below its mark: the same clusters are below this.
        for text, (done, found) in self._matches.items():
            self._matches[text] = (bisect_left(old_live, done), found)

    def ranked(self, query: Query) -> Iterator[RankedMatch]:
        """The loaded clusters the query matches, best first (see `rank_key`). Iterate it
        holding `lock`."""
        with self.lock:
            found = self.matching(query)
            done, order = self._ranked.get(query.text, (-1, array("q")))
            if done != len(self._slots):
                clusters = self._clusters
                order = array(
                    "q",
                    sorted(found, key=lambda i: rank_key(clusters[i], found.score(i))),
                )
                self._ranked[query.text] = (len(self._slots), order)
        return self._ranked_items(order, found)

    def _ranked_items(self, order: array, found: TopicMatches) -> Iterator[RankedMatch]:
        for cluster_id in order:
            score = found.score(cluster_id)
            yield rank_key(self._clusters[cluster_id], score), cluster_id, score

    def forget_before(self, moment: datetime) -> None:
        """Drop the clusters first seen at or before `moment` (keeps a long-lived index to
        a rolling window)."""
        with self.lock:
            self._forget_before(moment)

    def _forget_before(self, moment: datetime) -> None:
        gone = {i for i, c in self._clusters.items() if c.first_seen_at <= moment}
        if gone:
            self._order = [i for i in self._order if i not in gone]
            for cluster_id in gone:
                del self._clusters[cluster_id]
                self._analyzed.pop(cluster_id, None)
                slot = self._slot_of.pop(cluster_id, None)
                if slot is not None:
                    self._slots[slot] = None
                    self._dead_slots += 1
            for _done, found in self._matches.values():
                found.discard(gone)
            self._compact_slots()
            self._ranked.clear()
        if self._span is not None:
            lower, upper = self._span
            if moment >= upper:
                self._span = None
            elif lower is None or lower < moment:
                self._span = (moment, upper)

    def get(self, cluster_id: int) -> ClusterCandidate:
        with self.lock:
            return self._clusters[cluster_id]

    def keep_window(self, session: Session, since: datetime, until: datetime) -> None:
        """Hold exactly the clusters first seen in (since, until], up to date: forget older
        ones, re-read changed ones (`refresh`), load new ones. One call per digest tick."""
        with self.lock:
            self._forget_before(since)
            self.refresh(session)
            self.load(session, since, until)

    def refresh(self, session: Session) -> int:
        """Re-read the loaded clusters that changed since they were read (a copy joined:
        its outlet is a source now; or a fuller copy became the representative, which is
        then analyzed again). Returns how many changed.

        Changes are found by Cluster.updated_at, from LATE_COMMIT_MARGIN before the newest
        one already seen (clustering stamps its start time, and commits later)."""
        with self.lock:
            if self._span is None or not self._clusters or self._newest_change is None:
                return 0
            lower, upper = self._span
            query = select(
                Cluster.id,
                Cluster.updated_at,
                Cluster.story_count,
                Cluster.representative_story_id,
            ).where(
                Cluster.updated_at > self._newest_change - LATE_COMMIT_MARGIN,
                Cluster.first_seen_at <= upper,
            )
            if lower is not None:
                query = query.where(Cluster.first_seen_at > lower)
            changed = []
            for row in session.execute(query):
                self._saw_change(row.updated_at)
                known = self._clusters.get(row.id)
                version = (row.updated_at, row.story_count, row.representative_story_id)
                if known is not None and known.version != version:
                    changed.append(row.id)
            if changed:
                self._reload(session, changed)
            return len(changed)

    def _reload(self, session: Session, cluster_ids: list[int]) -> None:
        outlets = self._feed_outlets(session, fresh=True)
        members: dict[int, list] = {}
        for start in range(0, len(cluster_ids), 500):
            chunk = cluster_ids[start : start + 500]
            for row in session.execute(_rows_query().where(Story.cluster_id.in_(chunk))):
                members.setdefault(row.cluster_id, []).append(row)
        texts = self._fullest_texts(session, _without_representative(members))
        reanalyzed = []
        for cluster_id, rows in members.items():
            old = self._clusters.get(cluster_id)
            if old is None:
                continue
            candidate, story = _candidate(rows, outlets, texts)
            self._clusters[cluster_id] = candidate
            if candidate.story_id != old.story_id or candidate.title != old.title:
                # A new slot, past every query's mark: each query matches it again.
                self._analyze(cluster_id, story)
                reanalyzed.append(cluster_id)
        for _done, found in self._matches.values():
            found.discard(reanalyzed)
        self._ranked.clear()  # sources (and so ranks) changed

    def load(self, session: Session, since: datetime | None, until: datetime) -> None:
        """Make sure every cluster first seen in (since, until] is loaded."""
        with self.lock:
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
        query = _rows_query().where(Cluster.first_seen_at <= until)
        if since is not None:
            query = query.where(Cluster.first_seen_at > since)
        # Rows come ordered by cluster and are analyzed a chunk of clusters at a time: a
        # day's rows with their openings at once were ~50 MB more of peak (and so of RSS).
        members: dict[int, list] = {}
        for row in session.execute(query.execution_options(yield_per=LOAD_CHUNK_ROWS)):
            if row.cluster_id in self._clusters:
                continue
            if len(members) >= LOAD_CHUNK_CLUSTERS and row.cluster_id not in members:
                self._add_loaded(session, members, outlets)
                members = {}
            members.setdefault(row.cluster_id, []).append(row)
        self._add_loaded(session, members, outlets)

    def _add_loaded(
        self, session: Session, members: dict[int, list], outlets: dict[int, str]
    ) -> None:
        texts = self._fullest_texts(session, _without_representative(members))
        for cluster_id, rows in members.items():
            candidate, story = _candidate(rows, outlets, texts)
            # Analyzed now, so that only the analysis is kept, never the story's text.
            self._analyze(cluster_id, story)
            self._clusters[cluster_id] = candidate
            self._order.append(cluster_id)
            self._saw_change(candidate.version[0])

    def _saw_change(self, updated_at: datetime | None) -> None:
        if updated_at is not None and (
            self._newest_change is None or updated_at > self._newest_change
        ):
            self._newest_change = updated_at

    def _feed_outlets(self, session: Session, *, fresh: bool = False) -> dict[int, str]:
        if self._outlets is None or fresh:
            self._outlets = {
                feed_id: title.strip()
                for feed_id, title in session.execute(select(Feed.id, Feed.title))
                if title and title.strip()
            }
        return self._outlets

    @staticmethod
    def _fullest_texts(session: Session, clusters: Iterable[list]) -> dict[int, str]:
        # Clusters without a recorded representative (not expected; clustering sets it):
        # fetch the fullest copy's opening.
        ids = [max(rows, key=lambda r: r.text_length or 0).id for rows in clusters]
        if not ids:
            return {}
        opening = func.substr(Story.text, 1, MAX_BODY_CHARS)
        return dict(session.execute(select(Story.id, opening).where(Story.id.in_(ids))).all())


def _rows_query():
    """Every copy of the clusters (to filter), with the representative's opening text."""
    is_representative = Story.id == Cluster.representative_story_id
    # Only the opening of a body is analyzed (see digests.topics.matching.MAX_BODY_WORDS).
    opening = func.substr(Story.text, 1, MAX_BODY_CHARS)
    return (
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
            case((is_representative, opening), else_="").label("rep_text"),
            Cluster.first_seen_at.label("cluster_seen"),
            Cluster.updated_at.label("cluster_updated"),
            Cluster.story_count.label("cluster_copies"),
            Cluster.representative_story_id,
        )
        .join(Cluster, Cluster.id == Story.cluster_id)
        .order_by(Story.cluster_id, Story.first_seen_at, Story.id)
    )


def _without_representative(members: dict[int, list]) -> list[list]:
    return [
        rows
        for rows in members.values()
        if not any(r.id == r.representative_story_id for r in rows)
    ]


def _candidate(
    rows: list, outlets: dict[int, str], texts: dict[int, str]
) -> tuple[ClusterCandidate, StoryText]:
    """The cluster as a digest shows it, and the representative's text to analyze."""
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
    first = rows[0]
    candidate = ClusterCandidate(
        cluster_id=representative.cluster_id,
        first_seen_at=representative.cluster_seen,
        story_id=representative.id,
        title=title,
        url=representative.url,
        sources=tuple(sources),
        published=min(published) if published else representative.cluster_seen,
        summary=summary,
        version=(first.cluster_updated, first.cluster_copies, first.representative_story_id),
    )
    story = StoryText(
        title=title,
        summary=" ".join(
            part for part in (representative.feed_summary, *(representative.summary or ())) if part
        ),
        body=text,
        language=representative.language or "",
    )
    return candidate, story


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
