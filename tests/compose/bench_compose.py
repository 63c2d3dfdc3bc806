"""Benchmark (not a test): one digest tick for many subscribers sharing one ClusterIndex.

    .venv/bin/python -m tests.compose.bench_compose --clusters 2000 --subscribers 3000
    .venv/bin/python -m tests.compose.bench_compose --clusters 2000 --subscribers 3000 --ticks 2

Clusters of the last day with one to three copies (titles and summaries drawn from a small
news vocabulary); each subscriber follows three of twenty topics. Prints the time to load
and analyze the day once and the time per subscriber. With --ticks, runs the bot's real
digest tick (`queue_due_digests`: compose, render, queue, one commit per subscriber) that
many times with every subscriber due, and prints each tick's time and the peak RSS.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from digests.compose.digest import ClusterIndex, compose_digest
from digests.storage import open_database
from digests.storage.models import Cluster, Feed, Story, Subscriber, Topic

NOW = datetime(2026, 1, 8, 8, tzinfo=UTC)
TOPICS = [
    "ukraine",
    "russia",
    "kyiv",
    "grain",
    "election",
    "tariff",
    "china",
    "climate",
    "football",
    "nato",
    "inflation",
    "oil",
    "gaza",
    "germany",
    "france",
    "ai",
    "space",
    "vaccine",
    "earthquake",
    "bitcoin",
]
FILLER = [
    "the",
    "government",
    "said",
    "on",
    "tuesday",
    "that",
    "talks",
    "would",
    "continue",
    "next",
    "week",
    "as",
    "officials",
    "from",
    "several",
    "countries",
    "met",
    "to",
    "discuss",
    "prices",
    "markets",
    "security",
    "and",
    "the",
    "economy",
]


def sentence(rng: random.Random, words: int) -> str:
    picks = [rng.choice(FILLER) for _ in range(words)]
    for _ in range(rng.randint(0, 2)):
        picks.insert(rng.randrange(len(picks)), rng.choice(TOPICS).capitalize())
    return " ".join(picks).capitalize() + "."


def fill(db, clusters: int, subscribers: int) -> None:
    rng = random.Random(1)
    with db.session() as session:
        session.execute(
            insert(Feed),
            [{"id": i, "url": f"https://f{i}.example/rss", "title": f"F{i}"} for i in range(1, 51)],
        )
        story_rows, cluster_rows, sid = [], [], 0
        for cid in range(1, clusters + 1):
            seen = NOW - timedelta(seconds=rng.randint(0, 86_000))
            rep = sid + 1
            for _ in range(rng.randint(1, 3)):
                sid += 1
                story_rows.append(
                    {
                        "id": sid,
                        "feed_id": rng.randint(1, 50),
                        "url": f"https://news.example/{sid}",
                        "canonical_url": f"https://news.example/{sid}",
                        "title": sentence(rng, 8),
                        "feed_summary": sentence(rng, 25),
                        "summary": [sentence(rng, 20) for _ in range(3)],
                        "text": " ".join(sentence(rng, 20) for _ in range(30)),
                        "status": "extracted",
                        "first_seen_at": seen,
                        "cluster_id": cid,
                    }
                )
            cluster_rows.append(
                {
                    "id": cid,
                    "first_seen_at": seen,
                    "updated_at": seen,
                    "representative_story_id": rep,
                }
            )
        session.execute(insert(Cluster), cluster_rows)
        session.execute(insert(Story), story_rows)
        session.execute(
            insert(Subscriber), [{"id": i, "chat_id": i} for i in range(1, subscribers + 1)]
        )
        session.execute(
            insert(Topic),
            [
                {"subscriber_id": i, "query": query, "position": p}
                for i in range(1, subscribers + 1)
                for p, query in enumerate(rng.sample(TOPICS, 3))
            ],
        )


def run_ticks(db, ticks: int) -> None:
    """The bot's digest tick `ticks` times, a minute apart, every subscriber due each time."""
    from sqlalchemy import delete, update

    from bot.scheduling import queue_due_digests
    from digests.config import get_settings
    from digests.storage.models import Delivery, Digest, OutboxMessage

    settings = get_settings()
    for number in range(ticks):
        now = NOW + timedelta(minutes=number)
        with db.session() as session:
            # Due again, with the same look-back; last tick's digests out of the way.
            for table in (OutboxMessage, Delivery, Digest):
                session.execute(delete(table))
            session.execute(
                update(Subscriber).values(
                    next_digest_at=now - timedelta(seconds=30),
                    last_digest_at=now - timedelta(hours=24),
                )
            )
        started = time.perf_counter()
        report = queue_due_digests(db, settings, now=now)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"tick {number + 1}: {elapsed:.1f}s ({report.summary_line()}); "
            f"peak RSS so far {peak:.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=2000)
    parser.add_argument("--subscribers", type=int, default=3000)
    parser.add_argument("--ticks", type=int, default=0, help="run the real digest tick")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        fill(db, args.clusters, args.subscribers)
        if args.ticks:
            run_ticks(db, args.ticks)
            db.dispose()
            return
        cache = ClusterIndex()
        items = 0
        with db.session() as session:
            started = time.perf_counter()
            subscribers = list(session.scalars(select(Subscriber).order_by(Subscriber.id)))
            first = compose_digest(session, subscribers[0], now=NOW, cache=cache)
            warm = time.perf_counter() - started
            started = time.perf_counter()
            for subscriber in subscribers[1:]:
                items += len(compose_digest(session, subscriber, now=NOW, cache=cache).items)
            rest = time.perf_counter() - started
        db.dispose()
    print(
        f"{args.clusters} clusters: first digest (load + analyze + match) {warm:.2f}s; "
        f"then {rest / (len(subscribers) - 1) * 1000:.2f} ms per subscriber "
        f"({rest:.1f}s for {len(subscribers) - 1}); {len(first.items) + items} items in all"
    )


if __name__ == "__main__":
    main()
