"""Figure 5 — responsiveness: the latency from a user's `/topic` update to the bot's reply,
while a cold poll of N feeds and the extraction of M pages run in the same process and event
loop, as the scheduler's jobs do in the running bot.

The bot is the real application (`build_application`, long polling through
python-telegram-bot) against the local Bot API server; the latency is measured by that server,
from the moment the update is queued for getUpdates to the moment the reply arrives. Users
are probed in turn, each at most every few seconds (so the 1/s per-chat pacing is not what is
measured). The database holds a day of clustered stories, so `/topic`'s "N stories of the
last day match" reply has real work to do. Baseline: the same probes with the bot idle.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

from benchmarks.bench_extraction import SEED as PAGES_SEED
from benchmarks.bench_extraction import add_new_stories, story_paths
from benchmarks.bench_polling import SEED as FEEDS_SEED
from benchmarks.botapi import LocalBotApi
from benchmarks.corpus import build_feeds, build_pages
from benchmarks.dbfill import StoryFactory, insert_clustered_stories, insert_feeds
from benchmarks.localweb import LocalCorpusServer
from benchmarks.report import BenchResult, Figure, percentile, say
from benchmarks.textgen import WordModel
from benchmarks.workspace import BENCH_TOKEN, add_feeds, workspace

TITLE = "5. Responsiveness"
SEED = 515
SIZES = {
    "full": {"feeds": 1000, "pages": 400, "day_stories": 5000, "users": 60, "idle_probes": 40},
    "quick": {"feeds": 150, "pages": 60, "day_stories": 1000, "users": 30, "idle_probes": 20},
}
PROBE_EVERY = 0.25
TARGET_P99_MS = 250


class Prober(threading.Thread):
    """Pushes a `/topic` update every PROBE_EVERY seconds, round-robin over users (from a
    thread, so pushing costs the bot's event loop nothing)."""

    def __init__(self, api: LocalBotApi, users: int, limit: int | None = None) -> None:
        super().__init__(daemon=True)
        self.api = api
        self.users = users
        self.limit = limit
        self.words = WordModel(SEED)
        self.sent = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and (self.limit is None or self.sent < self.limit):
            chat_id = 5_000_001 + self.sent % self.users
            query = self.words.topic_query()
            self.api.push(chat_id, f"/topic {query}")
            self.sent += 1
            self.stop.wait(PROBE_EVERY)


async def _wait_replies(api: LocalBotApi, expected: int, within: float) -> dict:
    deadline = time.monotonic() + within
    while True:
        stats = await asyncio.to_thread(api.stats)
        if len(stats["latencies"]) >= expected or time.monotonic() > deadline:
            return stats
        await asyncio.sleep(0.2)


async def _watch_loop(data: dict[str, list]) -> None:
    """Diagnostics: how late a 10 ms sleep wakes up (the event loop blocked), and how many
    jobs wait in the loop's default thread pool (where `asyncio.to_thread` work queues)."""
    loop = asyncio.get_running_loop()
    while True:
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        data["lag"].append(time.perf_counter() - before - 0.01)
        executor = getattr(loop, "_default_executor", None)
        queue = getattr(executor, "_work_queue", None)
        data["queue"].append(queue.qsize() if queue is not None else 0)


async def _scenario(settings, db, api: LocalBotApi, size) -> dict[str, object]:
    from bot.app import ALLOWED_UPDATES, WARM_UP_KEY, build_application
    from digests.extract.processor import process_new_stories
    from digests.feeds.poller import poll_due_feeds
    from digests.fetcher import Fetcher

    # No jobs (the scenario runs the work itself), but the start-up of the real bot.
    application = build_application(settings, db, schedule=False, warm_index=True)
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)  # as run_polling does: the warm-up starts
    await application.start()
    await application.updater.start_polling(
        poll_interval=0.0, timeout=10, allowed_updates=ALLOWED_UPDATES
    )
    warm = application.bot_data.get(WARM_UP_KEY)
    if warm is not None:
        await warm
    try:
        # The first /topic after start loads what later ones reuse (the day's stories,
        # analyzed): reported on its own, not mixed into the idle baseline.
        say("responsiveness: first /topic after start")
        first = Prober(api, size["users"], limit=1)
        await asyncio.to_thread(first.run)
        first_latency = (await _wait_replies(api, 1, 60))["latencies"][:1]
        # Baseline: the bot idle.
        say("responsiveness: idle probes")
        prober = Prober(api, size["users"], limit=size["idle_probes"] + 1)
        prober.sent = 1
        prober.start()
        await asyncio.to_thread(prober.join)
        idle = await _wait_replies(api, size["idle_probes"] + 1, 30)
        idle_latencies = list(idle["latencies"][1:])
        # Under load: poll and extraction together, probes all along.
        say("responsiveness: probes during a cold poll and extraction")
        prober = Prober(api, size["users"])
        prober.sent = size["idle_probes"] + 1  # next users, next queries
        monitor = asyncio.create_task(_watch_loop(data := {"lag": [], "queue": []}))
        async with Fetcher(settings) as fetcher:
            start = time.perf_counter()
            prober.start()
            poll = asyncio.create_task(poll_due_feeds(db, fetcher, force=True))
            extract = asyncio.create_task(
                process_new_stories(db, fetcher, settings, limit=size["pages"])
            )
            poll_report, extract_report = await asyncio.gather(poll, extract)
            work_seconds = time.perf_counter() - start
            monitor.cancel()
            prober.stop.set()
            await asyncio.to_thread(prober.join)
        busy = await _wait_replies(api, prober.sent, 30)
        busy_latencies = busy["latencies"][len(idle_latencies) + 1 :]
        return {
            "first": first_latency[0] if first_latency else None,
            "idle": idle_latencies,
            "busy": busy_latencies,
            "probes_busy": prober.sent - size["idle_probes"] - 1,
            "work_seconds": work_seconds,
            "polled": poll_report.polled,
            "new_stories": poll_report.new_stories,
            "extracted": extract_report.extracted,
            "fell_back": extract_report.fell_back,
            "calls": busy["calls"],
            "loop_lag_p99_ms": percentile(data["lag"], 99) * 1000,
            "loop_lag_max_ms": max(data["lag"], default=0) * 1000,
            "executor_queue_max": max(data["queue"], default=0),
        }
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


def run(quick: bool) -> BenchResult:
    from digests.storage.models import utcnow

    size = SIZES["quick" if quick else "full"]
    result = BenchResult(
        "responsiveness", TITLE, params={**size, "probe_every_s": PROBE_EVERY, "seed": SEED}
    )
    say("responsiveness: corpus")
    feeds = build_feeds(feeds=size["feeds"], entries=30, feed_kb=(20, 200), seed=FEEDS_SEED)
    pages = build_pages(pages=size["pages"], page_kb=(50, 500), seed=PAGES_SEED)
    with (
        LocalCorpusServer(feeds, pages) as web,
        LocalBotApi() as api,
        workspace("responsiveness") as space,
    ):
        # A day of stories already clustered (the digest's and /topic's material); their
        # feeds are other than the ones polled now.
        insert_feeds(space.db, 50, base_url="https://elsewhere.example")
        factory = StoryFactory(SEED, feeds=50)
        say(f"responsiveness: {size['day_stories']} clustered stories of the last day")
        now = utcnow()
        insert_clustered_stories(
            space.db,
            factory.rows(
                size["day_stories"], now=now - timedelta(minutes=5), span=timedelta(hours=23)
            ),
        )
        add_feeds(space.db, web.base_url, size["feeds"])
        add_new_stories(space.db, web.base_url, story_paths(size["pages"]))
        settings = space.settings(
            telegram_bot_token=BENCH_TOKEN, telegram_api_base_url=api.base_url
        )
        data = asyncio.run(_scenario(settings, space.db, api, size))
    idle, busy = data["idle"], data["busy"]
    idle_p50, idle_p99 = percentile(idle, 50) * 1000, percentile(idle, 99) * 1000
    p50, p99 = percentile(busy, 50) * 1000, percentile(busy, 99) * 1000
    work = (
        f"{data['polled']} feeds polled ({data['new_stories']} new stories) and "
        f"{data['extracted'] + data['fell_back']} pages extracted in {data['work_seconds']:.1f} s"
    )
    result.add(
        Figure(
            "/topic reply latency p50, under load",
            p50,
            "ms",
            baseline=idle_p50,
            baseline_label="bot idle",
            ratio=p50 / idle_p50 if idle_p50 else None,
            note=f"{len(busy)} replies to {data['probes_busy']} probes while {work}",
        )
    )
    result.add(
        Figure(
            "/topic reply latency p99, under load",
            p99,
            "ms",
            baseline=idle_p99,
            baseline_label="bot idle",
            ratio=p99 / idle_p99 if idle_p99 else None,
            target=f"< {TARGET_P99_MS} ms",
            met=p99 < TARGET_P99_MS and len(busy) >= data["probes_busy"],
            note=(
                f"max {max(busy, default=0) * 1000:.0f} ms; event loop lag p99 "
                f"{data['loop_lag_p99_ms']:.0f} ms, max {data['loop_lag_max_ms']:.0f} ms; "
                f"up to {data['executor_queue_max']} jobs queued in the default thread pool; "
                f"idle: {len(idle)} replies; the "
                f"first /topic after start took {(data['first'] or 0) * 1000:.0f} ms"
            ),
        )
    )
    result.details.update(
        event_loop_lag_p99_ms=round(data["loop_lag_p99_ms"], 1),
        event_loop_lag_max_ms=round(data["loop_lag_max_ms"], 1),
        default_executor_queue_max=data["executor_queue_max"],
        busy_ms=[round(x * 1000, 1) for x in busy],
        idle_ms=[round(x * 1000, 1) for x in idle],
        api_calls=data["calls"],
    )
    return result
