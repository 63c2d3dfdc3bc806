"""Figure 6 — footprint: peak resident memory of the running bot (`python -m bot run`, the
real entry point, in its own process) with N subscribers, F feeds and S stories in the
database, during a digest round in which every subscriber is due; and the database's size per
1,000 stories.

Stories span the last week (clustered with the clustering stage's own functions), so a digest
round looks at the last day's; every subscriber has 1–5 topics and is due now; the feeds were
just polled (next poll in an hour), so what is measured is the digest round: the tick composes
and queues every digest, then the outbox sends them through the local Bot API server (at
Telegram's 30/s: the measurement stops after a fixed window of sending). Baseline: the same
bot started on an empty database.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from benchmarks.botapi import LocalBotApi
from benchmarks.dbfill import (
    StoryFactory,
    insert_clustered_stories,
    insert_feeds,
    insert_subscribers,
)
from benchmarks.report import BenchResult, Figure, MemorySampler, peak_rss_mb, say
from benchmarks.workspace import BENCH_TOKEN, sqlite_size_mb, workspace

TITLE = "6. Footprint"
SEED = 66
SIZES = {
    "full": {"subscribers": 10_000, "feeds": 1000, "stories": 50_000, "send_window_s": 20},
    "quick": {"subscribers": 600, "feeds": 200, "stories": 3_000, "send_window_s": 2},
}
TARGET_MB = 300
ROUND_LIMIT_S = {"full": 150, "quick": 8}
IDLE_S = {"full": 8, "quick": 4}


def _count(path: Path, sql: str) -> int:
    with sqlite3.connect(path, timeout=30) as connection:
        return connection.execute(sql).fetchone()[0]


def _start_bot(db_url: str, api: LocalBotApi, directory: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "TELEGRAM_BOT_TOKEN": BENCH_TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "LOG_LEVEL": "WARNING",
    }
    log = open(directory / "bot.log", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=directory, env=env, stdout=log, stderr=log
    )


def _stop_bot(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _idle_bot_peak(api: LocalBotApi, seconds: float) -> float:
    """Peak RSS (MB) of the bot on an empty database, running for `seconds`."""
    with workspace("footprint-empty") as space:
        # An empty feeds table would be seeded with the bundled real feeds (and polled over
        # the network); one disabled feed keeps the baseline off the network.
        insert_feeds(space.db, 1)
        bot = _start_bot(space.db_url, api, space.directory)
        try:
            with MemorySampler(bot.pid, interval=0.1) as memory:
                time.sleep(seconds)
            peak = max(memory.peak_self_mb, peak_rss_mb(bot.pid))
        finally:
            _stop_bot(bot)
        return peak


def run(quick: bool) -> BenchResult:
    from digests.storage.models import Feed, utcnow

    mode = "quick" if quick else "full"
    size = SIZES[mode]
    result = BenchResult("footprint", TITLE, params={**size, "seed": SEED})
    now = utcnow()
    with LocalBotApi() as api, workspace("footprint") as space:
        say("footprint: baseline, the bot on an empty database")
        baseline = _idle_bot_peak(api, IDLE_S[mode])
        api.reset()
        say(f"footprint: {size['feeds']} feeds, {size['subscribers']} subscribers")
        insert_feeds(space.db, size["feeds"])
        with space.db.session() as session:
            session.execute(
                update(Feed).values(enabled=True, next_poll_at=now + timedelta(hours=1))
            )
        insert_subscribers(
            space.db,
            size["subscribers"],
            seed=SEED,
            next_digest_at=now - timedelta(minutes=1),
            last_digest_at=now - timedelta(days=1),
        )
        empty_mb = sqlite_size_mb(space.db_path)
        say(f"footprint: {size['stories']} clustered stories over the last week")
        factory = StoryFactory(SEED, feeds=size["feeds"])
        chunk = 10_000
        text_bytes = 0  # the stories' own words: title, text, feed description, summary
        for start in range(0, size["stories"], chunk):
            count = min(chunk, size["stories"] - start)
            # Oldest first, each chunk a slice of the week.
            end = now - timedelta(days=7) * (1 - (start + count) / size["stories"])
            span = timedelta(days=7) * (count / size["stories"])
            rows = factory.rows(count, now=end, span=span)
            text_bytes += sum(
                len(r["title"].encode())
                + len(r["text"].encode())
                + len(r["feed_summary"].encode())
                + sum(len(s.encode()) for s in r["summary"])
                for r in rows
            )
            insert_clustered_stories(space.db, rows)
        full_mb = sqlite_size_mb(space.db_path)
        space.db.dispose()
        say("footprint: the bot's digest round")
        bot = _start_bot(space.db_url, api, space.directory)
        composed = 0
        round_seconds = None
        try:
            with MemorySampler(bot.pid, interval=0.1) as memory:
                start = time.perf_counter()
                deadline = start + ROUND_LIMIT_S[mode]
                while time.perf_counter() < deadline and bot.poll() is None:
                    time.sleep(1.0)
                    composed = _count(space.db_path, "SELECT count(*) FROM digests")
                    if composed >= size["subscribers"]:
                        round_seconds = time.perf_counter() - start
                        break
                # Then a while of sending.
                time.sleep(size["send_window_s"] if bot.poll() is None else 0)
                sent = api.stats()["accepted"]
            kernel_peak = peak_rss_mb(bot.pid)
        finally:
            _stop_bot(bot)
        # Stopped by us: 0 after a clean SIGTERM shutdown, -15/-9 if it had to be forced.
        crashed = bot.returncode not in (0, -15, -9)
        result.details["bot_exit_status"] = bot.returncode
        log_tail = (space.directory / "bot.log").read_text()[-1500:]
    peak = max(memory.peak_self_mb, kernel_peak)
    per_1000 = (full_mb - empty_mb) / size["stories"] * 1000
    result.add(
        Figure(
            "bot peak RSS during a digest round",
            peak,
            "MB",
            baseline=baseline,
            baseline_label="bot on an empty database",
            ratio=peak / baseline if baseline else None,
            target=f"< {TARGET_MB} MB",
            met=peak < TARGET_MB and not crashed,
            note=(
                f"{composed} of {size['subscribers']} digests composed"
                + (
                    f" in {round_seconds:.0f} s"
                    if round_seconds
                    else f" within {ROUND_LIMIT_S[mode]} s"
                )
                + f", {sent} messages sent; with child processes {memory.peak_tree_mb:.0f} MB"
                + ("; THE BOT EXITED: " + log_tail[-300:] if crashed else "")
            ),
        )
    )
    result.add(
        Figure(
            "database size per 1,000 stories",
            per_1000,
            "MB",
            baseline=text_bytes / size["stories"] * 1000 / 1e6,
            baseline_label="their own text",
            ratio=per_1000 / (text_bytes / size["stories"] * 1000 / 1e6),
            note=(
                f"{full_mb:.0f} MB with {size['stories']} stories, {size['subscribers']} "
                f"subscribers, {size['feeds']} feeds; {empty_mb:.1f} MB without the stories "
                "(story text, summary, sketch, LSH bands, clusters)"
            ),
        )
    )
    result.details.update(bot_log_tail=log_tail[-800:])
    return result
