"""Feed parsing in a child process, so that parsing never holds the bot's GIL.

feedparser is pure Python: parsed in threads of the bot's process, a round of 1,000 feeds
kept the GIL busy enough to stall the event loop for seconds (every /topic reply waited).
One small process pool per process parses instead: bytes go in, a `ParsedFeed` (plain,
picklable dataclasses) comes out. The pool is started lazily in a worker thread (starting
processes takes a noticeable fraction of a second), a pool whose worker died is replaced,
and where no process can be started parsing falls back to a thread.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from digests.feeds.parser import FeedParseError, ParsedFeed, parse_feed

log = logging.getLogger(__name__)

# One worker: parsing is a small share of a poll next to fetching, and the bot's other
# process pool (extraction) wants the cores.
PARSE_WORKERS = 1
# How long a new worker may take to start (a fresh interpreter importing feedparser).
STARTUP_TIMEOUT = 60.0
# After a failed start, feeds are parsed in threads this long before starting is tried again.
RETRY_START_AFTER = 600.0
FeedParser = Callable[[bytes, str, str], ParsedFeed]


def _ready() -> bool:
    import digests.feeds.parser  # noqa: F401  (feedparser's import, before any feed)

    return True


class FeedParsePool:
    """Parses feeds in a process pool that is started on first use and replaced when a
    worker dies; parses in a thread if no process can be started."""

    def __init__(self, workers: int = PARSE_WORKERS, parser: FeedParser = parse_feed) -> None:
        self.workers = max(1, workers)
        self.parser = parser
        self._pool: ProcessPoolExecutor | None = None
        # Starting a process failed: parse in threads until this time.monotonic().
        self._unavailable_until = 0.0
        # A threading lock, not an asyncio one: the pool outlives event loops (each
        # `asyncio.run`, each test) and is started from worker threads.
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor | None:
        """The running pool, started if need be (blocking: call it in a thread); None
        when processes cannot be started here."""
        with self._lock:
            if self._pool is not None or time.monotonic() < self._unavailable_until:
                return self._pool
            # spawn, not fork (the bot has threads) and not the forkserver (extraction
            # preloads its own modules into it; whoever starts it first decides them).
            context = multiprocessing.get_context("spawn")
            pool = None
            try:
                pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
                # Workers start on the first submit: start them here, off the event loop.
                for ping in [pool.submit(_ready) for _ in range(self.workers)]:
                    ping.result(timeout=STARTUP_TIMEOUT)
            except Exception as exc:
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
                log.warning(
                    "feed parsing runs in threads for now: no worker process (%s)",
                    " ".join(str(exc).split())[:300],
                )
                self._unavailable_until = time.monotonic() + RETRY_START_AFTER
                return None
            self._pool = pool
            return pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Forget `pool` (if still current) so that the next parse starts a new one."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, pool: ProcessPoolExecutor, body: bytes, url: str, kind: str) -> Future:
        return pool.submit(self.parser, body, url, kind)

    async def parse(self, body: bytes, url: str = "", content_type: str = "") -> ParsedFeed:
        """`parse_feed(body, url, content_type)` in the pool; raises FeedParseError as it
        does, and for a feed that kills the worker twice."""
        for _attempt in range(2):
            pool = self._pool
            if pool is None:
                pool = await asyncio.to_thread(self._executor)
            if pool is None:
                return await asyncio.to_thread(self.parser, body, url, content_type)
            try:
                return await asyncio.wrap_future(self._submit(pool, body, url, content_type))
            except BrokenProcessPool:
                # A worker died (killed, out of memory, or this feed crashed it): a new
                # pool, and one more try, so that a second death is this feed's doing.
                log.warning("feed parser process died while parsing %s; restarting it", url)
                await asyncio.to_thread(self._discard, pool)
            except RuntimeError:
                # Shut down meanwhile (interpreter exit, or `close`).
                await asyncio.to_thread(self._discard, pool)
        raise FeedParseError("the feed crashed the parser process")

    def close(self) -> None:
        """Stop the workers (a later parse starts new ones)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_SHARED: FeedParsePool | None = None
_SHARED_LOCK = threading.Lock()


def shared_parse_pool() -> FeedParsePool:
    """The process-wide pool `parse_feed_async` uses (lives as long as the process)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = FeedParsePool()
        return _SHARED
