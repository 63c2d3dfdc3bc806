"""Processing new stories: fetch each page, extract and summarize it in a process pool,
store the result — or the feed's own title and description, with the reason, when the
page cannot be read. A story is never lost, and each is processed once.

Pages are fetched concurrently (the Fetcher limits how many at once) while the pool
works; each page gets EXTRACT_TIMEOUT seconds of a worker, and a worker that overruns
is killed and the pool rebuilt, so one pathological page cannot stall the pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from digests.config import Settings
from digests.extract.reading import (
    PageReading,
    content_type_charset,
    not_html_reason,
    read_page,
)
from digests.fetcher import Fetcher, FetchResult
from digests.storage import Database
from digests.storage.models import Story, utcnow
from digests.summarize.summarizer import summarize

log = logging.getLogger(__name__)

# Results are written to the database this many at a time: few, so that each transaction
# holds SQLite's one write lock briefly and the bot's own writes get it in between.
WRITE_BATCH = 10
# How long new workers may take to start and import the extractors.
STARTUP_TIMEOUT = 120.0
PageReader = Callable[..., PageReading]
_BROKEN = object()  # the pool broke under a page


@dataclass
class ProcessReport:
    """How many new stories got their page's text, and how many fell back to the feed's."""

    extracted: int = 0
    fell_back: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    id: int
    url: str
    title: str
    feed_summary: str
    published_at: datetime | None


def _pool_context() -> Any:
    # Not plain fork: the bot's process has threads (HTTP, scheduler), and forking
    # those mid-lock can hang a worker. forkserver preloads the extractor once.
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["digests.extract.preload"])
        return context
    return multiprocessing.get_context("spawn")


def _warm_up() -> None:
    import digests.extract.preload  # noqa: F401  (the extractors' imports, before any page)


def _ready() -> bool:
    return True


class ExtractionPool:
    """A process pool with a per-page time limit that survives hung and crashed workers."""

    def __init__(self, workers: int, timeout: float, reader: PageReader = read_page) -> None:
        self.workers = max(1, workers)
        self.timeout = timeout
        self.reader = reader
        self._pool: ProcessPoolExecutor | None = None
        self._generation = 0
        # Only as many pages in the pool as workers: the time limit counts work, not queue.
        self._slots = asyncio.Semaphore(self.workers)
        self._exclusive = asyncio.Lock()
        self._starting = asyncio.Lock()

    async def _executor(self) -> ProcessPoolExecutor:
        """The current pool, started (and its workers warmed up) if need be: starting
        workers is not a page's time."""
        async with self._starting:
            if self._pool is None:
                # In a thread: creating the pool starts the forkserver and the first
                # submit forks the workers, a third of a second of the event loop's time.
                pool, pings = await asyncio.to_thread(self._new_pool)
                try:
                    await asyncio.wait_for(
                        asyncio.gather(*map(asyncio.wrap_future, pings)), STARTUP_TIMEOUT
                    )
                except (TimeoutError, BrokenProcessPool):
                    log.warning("extraction workers were slow to start")
                self._pool = pool
            return self._pool

    def _new_pool(self) -> tuple[ProcessPoolExecutor, list[Future]]:
        """A new pool and a ping per worker (which starts the workers)."""
        pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=_pool_context(), initializer=_warm_up
        )
        return pool, [pool.submit(_ready) for _ in range(self.workers)]

    async def start(self) -> None:
        """Start the workers now (pages fetched meanwhile will find them ready)."""
        await self._executor()

    def _restart(self, generation: int) -> None:
        """Kill the workers of pool `generation` (if still current) and start afresh."""
        if generation != self._generation or self._pool is None:
            return
        pool, self._pool = self._pool, None
        self._generation += 1
        _kill_workers(pool)

    async def _attempt(self, body: bytes, url: str, kwargs: dict[str, Any]) -> Any:
        """One try in the pool: the reading, a reason string, or _BROKEN."""
        generation = self._generation
        try:
            executor = await self._executor()
            future = executor.submit(self.reader, body, url, **kwargs)
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            self._restart(generation)  # the only way to stop a hung worker
            return f"extraction timed out after {self.timeout:g}s"
        except BrokenProcessPool:
            self._restart(generation)
            return _BROKEN
        except Exception as exc:  # the extractor never raises; a bug must not lose a page
            log.warning("extracting %s failed", url, exc_info=True)
            return f"extraction failed: {type(exc).__name__}: {exc}"[:300]

    @contextlib.asynccontextmanager
    async def _alone(self) -> AsyncIterator[None]:
        """Every slot of the pool, so that nothing else runs meanwhile."""
        async with self._exclusive:
            for _ in range(self.workers):
                await self._slots.acquire()
        try:
            yield
        finally:
            for _ in range(self.workers):
                self._slots.release()

    async def read(self, body: bytes, url: str, **kwargs: Any) -> PageReading | str:
        """The page's reading, or a one-line reason it could not be read in time."""
        async with self._slots:
            outcome = await self._attempt(body, url, kwargs)
        if outcome is _BROKEN:
            # A worker died while this page was in the pool (another page's time-out,
            # or a crash): try again alone, so that a second death is this page's doing.
            async with self._alone():
                outcome = await self._attempt(body, url, kwargs)
        return "extraction crashed the worker process" if outcome is _BROKEN else outcome

    def close(self) -> None:
        """Stop the workers (killing any still busy: nobody waits for them any more)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            _kill_workers(pool)


def _kill_workers(pool: Executor) -> None:
    kill = getattr(pool, "kill_workers", None)  # Python 3.14+
    if kill is not None:
        kill()
    else:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _fallback(job: _Job, reason: str) -> dict[str, Any]:
    text = job.feed_summary.strip()
    return {
        "status": "fallback",
        "text": text,
        "summary": summarize(text, title=job.title) if text else [],
        "extractor": "feed",
        "extract_error": reason,
    }


def _extracted(job: _Job, reading: PageReading) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": "extracted",
        "text": reading.text,
        "summary": reading.summary,
        "authors": reading.authors,
        "top_image": reading.top_image[:2048],
        "language": reading.language[:16],
        "extractor": reading.extractor,
        "extract_error": None,
    }
    if not job.title and reading.title:
        values["title"] = reading.title
    if job.published_at is None and reading.published is not None:
        values["published_at"] = reading.published
    return values


async def _process_one(
    job: _Job, fetcher: Fetcher, pool: ExtractionPool, sentences: int
) -> dict[str, Any]:
    result: FetchResult = await fetcher.fetch(job.url)
    if not result.ok:
        reason = result.error or f"HTTP {result.status}"
        return _fallback(job, reason)
    content_type = result.headers.get("content-type", "")
    reason = not_html_reason(content_type, result.body)
    if reason:
        return _fallback(job, reason)
    reading = await pool.read(
        result.body,
        result.final_url or job.url,
        encoding=content_type_charset(content_type),
        sentences=sentences,
    )
    if isinstance(reading, str):
        return _fallback(job, reading)
    if reading.problem:
        fallback = _fallback(job, reading.problem)
        if not fallback["text"] and not reading.problem.startswith("page text is mostly"):
            # No feed description at all: a short page text is better than nothing.
            fallback["text"] = reading.text
            fallback["summary"] = summarize(reading.text, title=job.title or reading.title)
        return {**fallback, "language": reading.language[:16]}
    return _extracted(job, reading)


def _write(db: Database, results: list[tuple[int, dict[str, Any]]]) -> None:
    now = utcnow()
    with db.session() as session:
        stories = {
            s.id: s
            for s in session.scalars(select(Story).where(Story.id.in_([i for i, _ in results])))
        }
        for story_id, values in results:
            story = stories.get(story_id)
            if story is None:
                continue  # deleted meanwhile (its feed was removed)
            for name, value in values.items():
                setattr(story, name, value)
            story.extract_attempts = (story.extract_attempts or 0) + 1
            story.processed_at = now


def _new_jobs(db: Database, limit: int | None) -> list[_Job]:
    with db.session() as session:
        query = (
            select(Story.id, Story.url, Story.title, Story.feed_summary, Story.published_at)
            .where(Story.status == "new")
            .order_by(Story.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [_Job(*row) for row in session.execute(query)]


def worker_count(settings: Settings) -> int:
    """EXTRACT_WORKERS, where 0 means one per CPU."""
    return settings.extract_workers if settings.extract_workers > 0 else (os.cpu_count() or 1)


async def process_new_stories(
    db: Database,
    fetcher: Fetcher,
    settings: Settings,
    *,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    reader: PageReader = read_page,
) -> ProcessReport:
    """Give every story with status "new" its page's text and summary ("extracted"), or
    the feed's title and description with the reason ("fallback").

    `reader` is the function a worker runs on each page (tests inject slow ones).
    """
    report = ProcessReport()
    jobs = await asyncio.to_thread(_new_jobs, db, limit)
    if not jobs:
        return report
    workers = worker_count(settings)
    pool = ExtractionPool(workers, settings.extract_timeout, reader)
    sentences = settings.summary_sentences
    # Enough pages in flight to keep fetches and workers busy, not the whole backlog.
    in_flight = asyncio.Semaphore(max(4, settings.fetch_concurrency) + 2 * workers)
    pending: list[tuple[int, dict[str, Any]]] = []

    async def flush() -> None:
        batch = pending[:]
        pending.clear()
        if batch:
            await asyncio.to_thread(_write, db, batch)

    async def run(job: _Job) -> tuple[_Job, dict[str, Any]]:
        async with in_flight:
            try:
                return job, await _process_one(job, fetcher, pool, sentences)
            except Exception as exc:  # one story's surprise must not lose the others
                log.warning("processing %s failed", job.url, exc_info=True)
                return job, _fallback(job, f"{type(exc).__name__}: {exc}"[:300])

    tasks = [asyncio.create_task(pool.start())]  # workers start while the first pages load
    tasks += [asyncio.create_task(run(job)) for job in jobs]
    try:
        for finished in asyncio.as_completed(tasks[1:]):
            job, values = await finished
            if values["status"] == "extracted":
                report.extracted += 1
            else:
                report.fell_back += 1
                message = f"{job.url}: {values['extract_error']}"
                report.errors.append(message)
                log.info("story %s fell back to the feed's text: %s", job.id, message)
            pending.append((job.id, values))
            if len(pending) >= WRITE_BATCH:
                await flush()
            if progress is not None:
                progress(1)
        await flush()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.to_thread(pool.close)
    return report
