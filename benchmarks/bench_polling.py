"""Figure 1 — polling: a cold poll of N feeds against feedparser parsing the same bytes, and a
warm poll in which every feed answers 304."""

from __future__ import annotations

import asyncio
import time

import feedparser
from sqlalchemy import func, select

from benchmarks.corpus import body_for, build_feeds
from benchmarks.localweb import LocalCorpusServer
from benchmarks.report import BenchResult, Figure, MemorySampler, say
from benchmarks.workspace import add_feeds, workspace

TITLE = "1. Polling"
SEED = 20260107
SIZES = {
    "full": {"feeds": 1000, "entries": 30, "feed_kb": (20, 200)},
    "quick": {"feeds": 150, "entries": 30, "feed_kb": (20, 200)},
}


def parse_baseline(bodies: list[bytes]) -> tuple[float, int]:
    """feedparser over every body in this process, no network: (seconds, entries seen)."""
    start = time.perf_counter()
    entries = 0
    for body in bodies:
        entries += len(feedparser.parse(body).entries)
    return time.perf_counter() - start, entries


async def _poll(db, settings):
    from digests.feeds.poller import poll_due_feeds
    from digests.fetcher import Fetcher

    async with Fetcher(settings) as fetcher:
        start = time.perf_counter()
        report = await poll_due_feeds(db, fetcher, force=True)
        return time.perf_counter() - start, report


def run(quick: bool) -> BenchResult:
    from digests.storage.models import Story

    size = SIZES["quick" if quick else "full"]
    result = BenchResult("polling", TITLE, params={**size, "seed": SEED})
    say(f"polling: generating {size['feeds']} feeds")
    paths = build_feeds(seed=SEED, **size)
    raw = [p.read_bytes() for p in paths]
    result.params["feed_mb_total"] = round(sum(map(len, raw)) / 1e6, 1)
    with LocalCorpusServer(paths, []) as web, workspace("polling") as space:
        bodies = [body_for(b, web.base_url) for b in raw]
        say("polling: baseline (feedparser, one process, no network)")
        base_1, entries = parse_baseline(bodies)
        add_feeds(space.db, web.base_url, len(paths))
        settings = space.settings()
        result.params["fetch_concurrency"] = settings.fetch_concurrency
        say("polling: cold poll")
        with MemorySampler() as memory:
            memory.exclude.add(web.pid)
            cold, cold_report = asyncio.run(_poll(space.db, settings))
        say("polling: warm poll (all 304)")
        warm, warm_report = asyncio.run(_poll(space.db, settings))
        say("polling: baseline again")
        base_2, _ = parse_baseline(bodies)
        baseline = min(base_1, base_2)
        with space.db.session() as session:
            stored = session.scalar(select(func.count()).select_from(Story))
        stats = web.stats()

    ratio = cold / baseline
    result.add(
        Figure(
            "cold poll (wall)",
            cold,
            "s",
            baseline=baseline,
            baseline_label="feedparser alone",
            ratio=ratio,
            target="<= 1.3x",
            met=ratio <= 1.3,
            note=(
                f"{len(paths)} feeds, {entries} entries parsed by the baseline, {stored} stories "
                f"stored; report: polled={cold_report.polled} failed={cold_report.failed} "
                f"new={cold_report.new_stories}; baseline runs {base_1:.2f}s / {base_2:.2f}s "
                f"(the faster is used); peak RSS {memory.peak_tree_mb:.0f} MB"
            ),
        )
    )
    share = warm / cold
    result.add(
        Figure(
            "warm poll, all 304 (wall)",
            warm,
            "s",
            baseline=cold,
            baseline_label="cold poll",
            ratio=share,
            target="<= 0.05x",
            met=share <= 0.05,
            note=f"report: polled={warm_report.polled} not_modified={warm_report.not_modified}",
        )
    )
    result.details.update(
        server=stats,
        cold_errors=list(getattr(cold_report, "errors", []))[:5],
        peak_rss_mb=round(memory.peak_tree_mb, 1),
        feeds_per_second_cold=round(len(paths) / cold, 1),
    )
    return result
