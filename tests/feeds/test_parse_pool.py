"""Feed parsing in a child process: results as in-process parsing, errors carried back,
and a worker that dies replaced by a new one."""

from __future__ import annotations

import os

import pytest

from digests.feeds import parse_pool
from digests.feeds.parse_pool import FeedParsePool
from digests.feeds.parser import FeedParseError, parse_feed
from tests.feeds.crashing_parser import parse_or_crash, parsing_process_id
from tests.feeds.sample_feeds import Item, rss

FEED = rss([Item("First story", "https://example.com/a"), Item("Second", "https://example.com/b")])


@pytest.fixture
def pool():
    pool = FeedParsePool(parser=parse_or_crash)
    yield pool
    pool.close()


async def test_parses_in_the_worker_like_in_process(pool: FeedParsePool) -> None:
    url = "https://example.com/feed"
    parsed = await pool.parse(FEED.encode(), url, "application/rss+xml")
    assert parsed == parse_feed(FEED.encode(), url, "application/rss+xml")
    assert [entry.title for entry in parsed.entries] == ["First story", "Second"]


async def test_a_feed_error_comes_back_as_feed_parse_error(pool: FeedParsePool) -> None:
    with pytest.raises(FeedParseError, match="HTML page"):
        await pool.parse(b"<!doctype html><html><body>hi</body></html>", "https://example.com/")


async def test_a_dead_worker_is_replaced_and_the_feed_tried_again(pool, tmp_path) -> None:
    url = f"https://example.com/feed?crash-once&marker={tmp_path / 'crashed'}"
    parsed = await pool.parse(FEED.encode(), url)
    assert (tmp_path / "crashed").exists()  # the first worker did die under it
    assert len(parsed.entries) == 2


async def test_a_feed_that_kills_every_worker_is_an_error_and_the_pool_goes_on(pool) -> None:
    with pytest.raises(FeedParseError, match="crashed the parser"):
        await pool.parse(FEED.encode(), "https://example.com/crash-always")
    parsed = await pool.parse(FEED.encode(), "https://example.com/feed")
    assert len(parsed.entries) == 2


async def test_without_worker_processes_feeds_are_parsed_in_this_process(monkeypatch) -> None:
    monkeypatch.setattr(parse_pool, "ProcessPoolExecutor", _raise_os_error)
    pool = FeedParsePool()
    parsed = await pool.parse(FEED.encode(), "https://example.com/feed")
    assert len(parsed.entries) == 2


async def test_processes_are_tried_again_after_a_failed_start(monkeypatch) -> None:
    real = parse_pool.ProcessPoolExecutor
    monkeypatch.setattr(parse_pool, "RETRY_START_AFTER", 0.0)
    monkeypatch.setattr(parse_pool, "ProcessPoolExecutor", _raise_os_error)
    pool = FeedParsePool(parser=parsing_process_id)  # type: ignore[arg-type]
    try:
        assert await pool.parse(b"<rss/>") == os.getpid()  # a thread of this process
        monkeypatch.setattr(parse_pool, "ProcessPoolExecutor", real)
        assert await pool.parse(b"<rss/>") != os.getpid()  # a worker process again
    finally:
        pool.close()


def _raise_os_error(*args, **kwargs):
    raise OSError("no processes here")
