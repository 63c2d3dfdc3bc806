"""Benchmark (not a test): time to place one new story as the cluster window fills up.

    .venv/bin/python -m tests.cluster.bench_placement --sizes 1000,10000,100000

For each size N: a fresh SQLite file holding N clustered stories from the last six days
(Zipf-distributed words, so common phrases do collide in bands), then `cluster_new_stories`
places 300 more (a third of them copies of stored stories), three times. Prints the best
ms per placed story.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select

from digests.cluster import cluster_new_stories
from digests.cluster.sketch import sketch_story, url_key
from digests.storage import open_database
from digests.storage.models import Cluster, ClusterBand, Feed, Story

NOW = datetime(2026, 1, 7, 12, tzinfo=UTC)
VOCABULARY = [f"w{i}" for i in range(20000)]


class TextMaker:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        ranks = np.arange(1, len(VOCABULARY) + 1)
        self.weights = 1 / ranks**1.1
        self.weights /= self.weights.sum()

    def words(self, count: int) -> str:
        picks = self.rng.choice(len(VOCABULARY), size=count, p=self.weights)
        return " ".join(VOCABULARY[i] for i in picks)


def fill(db, count: int, maker: TextMaker) -> list[tuple[str, str]]:
    """Insert `count` clustered stories (with sketches and bands) straight into the tables."""
    stored: list[tuple[str, str]] = []
    chunk = 5000
    with db.session() as session:
        session.add(Feed(url="https://bench.example/feed", title="Bench"))
    for start in range(0, count, chunk):
        stories, clusters, bands = [], [], []
        for i in range(start, min(count, start + chunk)):
            sid = i + 1
            seen = NOW - timedelta(days=6) + timedelta(seconds=i * (6 * 86400 / count))
            title, text = maker.words(9), maker.words(250)
            sketch = sketch_story(title, text, "")
            url = f"https://site{i % 300}.example/news/{sid}"
            stories.append(
                {
                    "id": sid,
                    "feed_id": 1,
                    "url": url,
                    "canonical_url": url,
                    "title": title,
                    "text": text,
                    "status": "extracted",
                    "first_seen_at": seen,
                    "sketch": sketch.to_bytes(),
                    "cluster_id": sid,
                }
            )
            clusters.append(
                {"id": sid, "first_seen_at": seen, "updated_at": seen, "story_count": 1}
            )
            keys = [*sketch.band_keys(), sketch.title_key(), url_key(url)]
            bands.extend({"story_id": sid, "band": k, "seen_at": seen} for k in keys if k)
            if i % 50 == 0:
                stored.append((title, text))
        with db.session() as session:
            session.execute(insert(Cluster), clusters)
            session.execute(insert(Story), stories)
            session.execute(insert(ClusterBand), bands)
    return stored


def add_new(db, stored: list[tuple[str, str]], maker: TextMaker, count: int, run: int) -> None:
    rng = random.Random(run)
    with db.session() as session:
        for i in range(count):
            if i % 3 == 0 and stored:
                title, text = rng.choice(stored)
                text = "Site chrome line. " + text[: len(text) * 2 // 3]
            else:
                title, text = maker.words(9), maker.words(250)
            url = f"https://new.example/{run}/{i}"
            session.add(
                Story(
                    feed_id=1,
                    url=url,
                    canonical_url=url,
                    title=title,
                    text=text,
                    status="extracted",
                    first_seen_at=NOW,
                )
            )


def measure(size: int, new: int, runs: int) -> float:
    """The best of `runs` rounds (the machine is shared: the minimum is the least noisy)."""
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        maker = TextMaker(size)
        started = time.perf_counter()
        stored = fill(db, size, maker)
        filled = time.perf_counter() - started
        times, joined = [], 0
        for run in range(runs):
            add_new(db, stored, maker, new, run)
            started = time.perf_counter()
            placed = cluster_new_stories(db, now=NOW)
            times.append((time.perf_counter() - started) / placed * 1000)
        with db.session() as session:
            joined = session.scalar(
                select(func.count())
                .select_from(Story)
                .where(Story.cluster_id <= size, Story.id > size)
            )
        db.dispose()
    per_story = min(times)
    print(
        f"{size:>8} stored ({filled:.0f}s to fill): {per_story:.2f} ms per placed story "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)}); "
        f"{joined}/{new * runs} joined a stored cluster"
    )
    return per_story


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--new", type=int, default=300, help="stories placed per run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = {int(s): measure(int(s), args.new, args.runs) for s in args.sizes.split(",")}
    smallest, largest = min(results), max(results)
    print(f"growth {smallest}->{largest}: {results[largest] / results[smallest]:.2f}x")


if __name__ == "__main__":
    main()
