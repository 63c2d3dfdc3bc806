"""Figure 3 — clustering and matching at scale: the time to place a new story into clusters and
to match it against every subscriber's topics, with 1k, 10k and 100k stories in the database.

The stories in the database are real clustering data: sketches, LSH bands and clusters made by
the clustering stage's own functions (see `benchmarks.dbfill`), all inside the clustering
window (the worst case: every stored story is a candidate source of band matches). A batch of
new stories (10 % of them copies of stored ones, which must join their cluster) is placed by
`cluster_new_stories`, and each is matched (`analyze_story` once, then `match_story` per topic)
against the topics of 1k and 10k subscribers, 1–5 topics each, as people type them.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from sqlalchemy import func, select

from benchmarks.dbfill import (
    StoryFactory,
    insert_clustered_stories,
    insert_feeds,
    insert_stories,
    insert_subscribers,
)
from benchmarks.report import BenchResult, Figure, say
from benchmarks.workspace import sqlite_size_mb, workspace

TITLE = "3. Clustering and matching at scale"
SEED = 7
SIZES = {
    "full": {
        "stories": (1_000, 10_000, 100_000),
        "subscribers": (1_000, 10_000),
        "batch": 200,
        "match_batch": 10,
    },
    "quick": {
        "stories": (1_000, 5_000, 20_000),
        "subscribers": (300, 1_000),
        "batch": 100,
        "match_batch": 5,
    },
}
FEEDS = 1000
GROWTH_TARGET = 3.0


def _topics(db, subscriber_limit: int) -> list[str]:
    from digests.storage.models import Topic

    with db.session() as session:
        return list(
            session.scalars(
                select(Topic.query)
                .where(Topic.subscriber_id <= subscriber_limit)
                .order_by(Topic.subscriber_id, Topic.position)
            )
        )


def _place_batch(db, factory: StoryFactory, count: int, now) -> tuple[float, int, list[dict]]:
    """Insert `count` new processed stories and place them: (seconds, copies joined, rows)."""
    from digests.cluster import cluster_new_stories
    from digests.storage.models import Cluster, Story

    rows = factory.rows(count, now=now, span=timedelta(minutes=10))
    insert_stories(db, rows)
    start = time.perf_counter()
    placed = cluster_new_stories(db, now=now)
    seconds = time.perf_counter() - start
    assert placed == count, f"placed {placed} of {count}"
    urls = [row["canonical_url"] for row in rows]
    with db.session() as session:
        joined = session.scalar(
            select(func.count())
            .select_from(Story)
            .join(Cluster, Cluster.id == Story.cluster_id)
            .where(Story.canonical_url.in_(urls), Cluster.story_count > 1)
        )
    return seconds, joined or 0, rows


def _match_batch(rows: list[dict], queries: list) -> float:
    """Seconds per story to analyze it once and match it against every query."""
    from digests.topics import StoryText, analyze_story, match_story

    start = time.perf_counter()
    for row in rows:
        story = analyze_story(
            StoryText(
                title=row["title"],
                summary=" ".join([row["feed_summary"], *row["summary"]]),
                body=row["text"],
                language=row["language"],
            )
        )
        for query in queries:
            match_story(query, story)
    return (time.perf_counter() - start) / len(rows)


def run(quick: bool) -> BenchResult:
    from digests.storage.models import utcnow
    from digests.topics import parse_query

    size = SIZES["quick" if quick else "full"]
    result = BenchResult("clustering", TITLE, params={**size, "seed": SEED, "window": "6 days"})
    now = utcnow()
    per_level: dict[int, dict[str, float]] = {}
    with workspace("clustering") as space:
        db = space.db
        insert_feeds(db, FEEDS)
        small, large = size["subscribers"]
        topic_count = insert_subscribers(db, large, seed=SEED)
        texts = {"small": _topics(db, small), "large": _topics(db, large)}
        start = time.perf_counter()
        parsed = {text: parse_query(text) for text in set(texts["large"])}
        parse_seconds = time.perf_counter() - start
        queries = {k: [parsed[t] for t in v] for k, v in texts.items()}
        result.params.update(topics_small=len(texts["small"]), topics_large=topic_count)
        factory = StoryFactory(SEED, feeds=FEEDS)
        stored = 0
        fill_seconds = 0.0
        for level in size["stories"]:
            say(f"clustering: filling the database to {level} stories")
            start = time.perf_counter()
            missing = level - stored
            for offset in range(0, missing, 10_000):  # in chunks: bounded memory
                count = min(10_000, missing - offset)
                # Each chunk a slice of the six days, so later levels interleave in time.
                end = (
                    now
                    - timedelta(minutes=15)
                    - timedelta(days=6) * (1 - (offset + count) / missing)
                )
                span = timedelta(days=6) * (count / missing)
                insert_clustered_stories(db, factory.rows(count, now=end, span=span))
            fill_seconds += time.perf_counter() - start
            say(f"clustering: placing and matching new stories at {level}")
            seconds, joined, batch = _place_batch(db, factory, size["batch"], now)
            single_times = []
            for _ in range(3):
                single, _, _ = _place_batch(db, factory, 1, now)
                single_times.append(single)
            sample = batch[: size["match_batch"]]
            match_small = _match_batch(sample, queries["small"])
            match_large = _match_batch(sample, queries["large"])
            stored = level + size["batch"] + 3
            per_level[level] = {
                "place_ms": seconds / size["batch"] * 1000,
                "single_ms": statistics.median(single_times) * 1000,
                "match_small_ms": match_small * 1000,
                "match_large_ms": match_large * 1000,
                "copies_joined": joined,
                "db_mb": sqlite_size_mb(space.db_path),
            }
            say(f"clustering: {level}: {per_level[level]}")
    levels = size["stories"]
    first, last = per_level[levels[0]], per_level[levels[-1]]
    for level in levels:
        data = per_level[level]
        growth = data["place_ms"] / first["place_ms"]
        is_last = level == levels[-1]
        result.add(
            Figure(
                f"place one story, {level:,} stored",
                data["place_ms"],
                "ms",
                baseline=first["place_ms"] if level != levels[0] else None,
                baseline_label=f"at {levels[0]:,}" if level != levels[0] else "",
                ratio=growth if level != levels[0] else None,
                target=f"growth < {GROWTH_TARGET:g}x" if is_last else "",
                met=growth < GROWTH_TARGET if is_last else None,
                note=(
                    f"batch of {size['batch']} via cluster_new_stories; one story alone "
                    f"{data['single_ms']:.1f} ms; copies that joined their cluster: "
                    f"{data['copies_joined']}; database {data['db_mb']:.0f} MB"
                ),
            )
        )
    small, large = size["subscribers"]
    result.add(
        Figure(
            f"match one story, {small:,} subscribers' topics",
            statistics.median(d["match_small_ms"] for d in per_level.values()),
            "ms",
            note=f"{len(texts['small'])} topics; analyze_story once + match_story per topic",
        )
    )
    match_large = statistics.median(d["match_large_ms"] for d in per_level.values())
    match_small = statistics.median(d["match_small_ms"] for d in per_level.values())
    result.add(
        Figure(
            f"match one story, {large:,} subscribers' topics",
            match_large,
            "ms",
            baseline=match_small,
            baseline_label=f"{small:,} subscribers",
            ratio=match_large / match_small,
            note=f"{topic_count} topics ({len(parsed)} distinct); linear in topics by design",
        )
    )
    total_first = first["place_ms"] + first["match_large_ms"]
    total_last = last["place_ms"] + last["match_large_ms"]
    result.add(
        Figure(
            f"place + match ({large:,} subscribers), {levels[-1]:,} stored",
            total_last,
            "ms",
            baseline=total_first,
            baseline_label=f"at {levels[0]:,}",
            ratio=total_last / total_first,
            target=f"growth < {GROWTH_TARGET:g}x",
            met=total_last / total_first < GROWTH_TARGET,
        )
    )
    result.details.update(
        per_level=per_level,
        parse_all_distinct_queries_s=round(parse_seconds, 3),
        fill_seconds=round(fill_seconds, 1),
    )
    return result
