"""Placing processed stories into clusters: each joins the cluster of its copy, or starts one."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, desc, func, insert, select
from sqlalchemy.orm import Session

from digests.cluster.duplicates import same_story_strength
from digests.cluster.sketch import StorySketch, sketch_story, url_key
from digests.storage import Database
from digests.storage.models import Cluster, ClusterBand, Story, utcnow

log = logging.getLogger(__name__)

# A story is compared with the stories of the last week: copies appear within hours, and a
# bounded window keeps the band table (and each lookup) small.
CLUSTER_WINDOW = timedelta(days=7)
BATCH_SIZE = 500
# The stories sharing most band keys with a new one, at most this many, are verified.
MAX_CANDIDATES = 50
_SAME_URL = float("inf")


@dataclass(eq=False)
class _Group:
    """A cluster as this batch sees it: an existing one (by id) or one to create."""

    cluster_id: int | None
    members: list[Story] = field(default_factory=list)


@dataclass(frozen=True)
class _Placed:
    story_id: int
    feed_id: int | None
    url_key: str | None
    sketch: StorySketch
    group: _Group


def cluster_new_stories(
    db: Database,
    *,
    now: datetime | None = None,
    window: timedelta = CLUSTER_WINDOW,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Place every processed story (status other than "new") that has no cluster yet.

    A story joins the cluster of a copy of it from the last `window` (same canonical URL, or
    near-identical title and opening, see `digests.cluster.duplicates`), else a new Cluster
    first seen `now`. Returns how many stories were placed.
    """
    now = now or utcnow()
    cutoff = now - window
    with db.session() as session:
        session.execute(delete(ClusterBand).where(ClusterBand.seen_at < cutoff))
    placed = 0
    while True:
        with db.session() as session:
            stories = list(
                session.scalars(
                    select(Story)
                    .where(Story.status != "new", Story.cluster_id.is_(None))
                    .order_by(Story.first_seen_at, Story.id)
                    .limit(batch_size)
                )
            )
            if not stories:
                break
            _place_batch(session, stories, now=now, cutoff=cutoff)
            placed += len(stories)
    if placed:
        log.info("clustered %d stories", placed)
    return placed


def _place_batch(session: Session, stories: list[Story], *, now: datetime, cutoff: datetime):
    groups: dict[int, _Group] = {}
    new_groups: list[_Group] = []
    local_keys: dict[str, list[_Placed]] = {}
    bands: list[dict] = []
    with session.no_autoflush:
        for story in stories:
            sketch = sketch_story(story.title, story.text, story.feed_summary)
            own_url = url_key(story.canonical_url or story.url)
            keys = sketch.band_keys()
            for extra in (sketch.title_key(), own_url):
                if extra:
                    keys.append(extra)
            group = _best_group(session, story, sketch, own_url, keys, local_keys, groups, cutoff)
            if group is None:
                group = _Group(cluster_id=None)
                new_groups.append(group)
            group.members.append(story)
            story.sketch = sketch.to_bytes()
            entry = _Placed(story.id, story.feed_id, own_url, sketch, group)
            for key in keys:
                local_keys.setdefault(key, []).append(entry)
                bands.append({"story_id": story.id, "band": key, "seen_at": story.first_seen_at})
    _save_groups(session, list(groups.values()), new_groups, now=now)
    if bands:
        # Core executemany: the ORM's bulk path costs more than the insert itself here.
        session.connection().execute(insert(ClusterBand.__table__), bands)


def _best_group(
    session: Session,
    story: Story,
    sketch: StorySketch,
    own_url: str | None,
    keys: list[str],
    local_keys: dict[str, list[_Placed]],
    groups: dict[int, _Group],
    cutoff: datetime,
) -> _Group | None:
    best: tuple[float, _Group] | None = None

    def consider(strength: float | None, group: _Group) -> None:
        nonlocal best
        if strength is not None and (best is None or strength > best[0]):
            best = (strength, group)

    for other in _stored_candidates(session, keys, cutoff):
        if other.cluster_id is None:
            continue
        group = groups.setdefault(other.cluster_id, _Group(cluster_id=other.cluster_id))
        if own_url and url_key(other.canonical_url or other.url) == own_url:
            consider(_SAME_URL, group)
            continue
        other_sketch = StorySketch.from_bytes(other.sketch, other.title)
        if other_sketch is not None:
            same_feed = story.feed_id is not None and story.feed_id == other.feed_id
            consider(same_story_strength(sketch, other_sketch, same_feed=same_feed), group)
    seen: set[int] = set()
    for key in keys:
        for entry in local_keys.get(key, ()):
            if entry.story_id in seen:
                continue
            seen.add(entry.story_id)
            if own_url and entry.url_key == own_url:
                consider(_SAME_URL, entry.group)
                continue
            same_feed = story.feed_id is not None and story.feed_id == entry.feed_id
            consider(same_story_strength(sketch, entry.sketch, same_feed=same_feed), entry.group)
    return best[1] if best else None


def _stored_candidates(session: Session, keys: list[str], cutoff: datetime):
    """Stories of the window sharing band keys with `keys`, most shared first (one query)."""
    if not keys:
        return []
    shared = (
        select(ClusterBand.story_id, func.count().label("shared"))
        .where(ClusterBand.band.in_(keys), ClusterBand.seen_at >= cutoff)
        .group_by(ClusterBand.story_id)
        .order_by(desc("shared"))
        .limit(MAX_CANDIDATES)
        .subquery()
    )
    # Core (no ORM row handling): this runs once per story.
    return (
        session.connection()
        .execute(
            select(
                Story.id,
                Story.cluster_id,
                Story.feed_id,
                Story.title,
                Story.url,
                Story.canonical_url,
                Story.sketch,
            ).join(shared, shared.c.story_id == Story.id)
        )
        .all()
    )


def _fullest(stories: list[Story]) -> Story:
    """The copy with the longest text; ties go to the earliest seen."""
    return min(stories, key=lambda s: (-len(s.text or ""), s.first_seen_at, s.id))


def _save_groups(
    session: Session, existing: list[_Group], new: list[_Group], *, now: datetime
) -> None:
    for group in new:
        representative = _fullest(group.members)
        cluster = Cluster(
            first_seen_at=now,
            updated_at=now,
            story_count=len(group.members),
            representative_story_id=representative.id,
        )
        session.add(cluster)
        for story in group.members:
            story.cluster = cluster
    touched = [group for group in existing if group.members]
    if touched:
        ids = [group.cluster_id for group in touched]
        clusters = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_(ids)))}
        rep_ids = [c.representative_story_id for c in clusters.values()]
        reps = {
            s.id: s
            for s in session.scalars(select(Story).where(Story.id.in_([i for i in rep_ids if i])))
        }
        for group in touched:
            cluster = clusters.get(group.cluster_id)
            if cluster is None:  # deleted meanwhile: start over as a new cluster
                group.cluster_id = None
                _save_groups(session, [], [group], now=now)
                continue
            candidates = list(group.members)
            if cluster.representative_story_id in reps:
                candidates.append(reps[cluster.representative_story_id])
            cluster.representative_story_id = _fullest(candidates).id
            cluster.story_count = (cluster.story_count or 0) + len(group.members)
            cluster.updated_at = now
            for story in group.members:
                story.cluster_id = cluster.id
    session.flush()
