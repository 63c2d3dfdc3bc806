"""The fetcher against a real local HTTP server: every way a request can go wrong."""

from __future__ import annotations

import asyncio
import threading
import time

import brotli

from digests.config import Settings
from digests.fetcher import Fetcher
from tests.support.web import LocalWeb, closed_port_url


def fast_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"fetch_timeout": 10.0, "fetch_connect_timeout": 10.0}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def test_plain_get_sends_user_agent_and_returns_body(web: LocalWeb) -> None:
    url = web.add("/page", "<p>hello</p>", headers={"X-Thing": "1"})
    async with Fetcher(fast_settings(user_agent="testbot/1 (+http://x)")) as fetcher:
        result = await fetcher.fetch(url)
    assert result.ok and result.error is None
    assert result.body == b"<p>hello</p>"
    assert result.headers["x-thing"] == "1"
    assert result.final_url == url
    assert web.hits_for("/page")[0].headers["User-Agent"] == "testbot/1 (+http://x)"


async def test_gzip_and_brotli_bodies_are_decoded(web: LocalWeb) -> None:
    text = "<rss>" + "news " * 1000 + "</rss>"
    gz = web.add("/gz", text, gzip=True)
    br = web.add(
        "/br",
        handler=lambda _req: (200, {"Content-Encoding": "br"}, brotli.compress(text.encode())),
    )
    async with Fetcher(fast_settings()) as fetcher:
        results = await asyncio.gather(fetcher.fetch(gz), fetcher.fetch(br))
    assert [r.body.decode() for r in results] == [text, text]
    assert web.hits_for("/gz")[0].headers["Accept-Encoding"].count("br") == 1


async def test_http_errors_name_the_status(web: LocalWeb) -> None:
    gone = web.add("/gone", "bye", status=410)
    broken = web.add("/broken", "oops", status=500)
    async with Fetcher(fast_settings()) as fetcher:
        missing = await fetcher.fetch(web.url("/nothing-here"))
        results = [missing, await fetcher.fetch(gone), await fetcher.fetch(broken)]
    assert [(r.status, r.error, r.ok) for r in results] == [
        (404, "HTTP 404", False),
        (410, "HTTP 410", False),
        (500, "HTTP 500", False),
    ]


async def test_conditional_get_gets_304(web: LocalWeb) -> None:
    url = web.add("/feed", "<rss/>", etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    async with Fetcher(fast_settings()) as fetcher:
        first = await fetcher.fetch(url)
        second = await fetcher.fetch(url, etag=first.headers["etag"], last_modified="x")
    assert first.ok and first.headers["etag"] == '"v1"'
    assert second.not_modified and not second.ok and second.error is None
    assert second.body == b""
    assert web.hits_for("/feed")[1].headers["If-None-Match"] == '"v1"'


def redirect(to: str):
    return lambda _req: (302, {"Location": to}, b"")


async def test_redirects_are_followed_up_to_five(web: LocalWeb) -> None:
    for hop in range(5):
        web.add(f"/r{hop}", handler=redirect(f"/r{hop + 1}"))
    final = web.add("/r5", "arrived")
    async with Fetcher(fast_settings()) as fetcher:
        result = await fetcher.fetch(web.url("/r0"))
    assert result.ok and result.body == b"arrived"
    assert result.final_url == final


async def test_six_redirects_are_too_many(web: LocalWeb) -> None:
    for hop in range(6):
        web.add(f"/r{hop}", handler=redirect(f"/r{hop + 1}"))
    web.add("/r6", "never")
    async with Fetcher(fast_settings()) as fetcher:
        result = await fetcher.fetch(web.url("/r0"))
    assert result.error == "too many redirects (>5)"
    assert web.hits_for("/r6") == []


async def test_redirect_loop_is_named(web: LocalWeb) -> None:
    web.add("/a", handler=redirect("/b"))
    web.add("/b", handler=redirect("/a"))
    async with Fetcher(fast_settings()) as fetcher:
        result = await fetcher.fetch(web.url("/a"))
    assert result.error == f"redirect loop ({web.url('/a')} → {web.url('/b')} → {web.url('/a')})"


async def test_body_over_the_cap_is_refused(web: LocalWeb) -> None:
    big = web.add("/big", b"x" * 5000)
    # Small on the wire, big once decoded: the cap applies to what we would keep.
    bomb = web.add("/bomb", b"y" * 50_000, gzip=True)
    small = web.add("/small", b"z" * 1000)
    async with Fetcher(fast_settings(fetch_max_bytes=4096)) as fetcher:
        results = await asyncio.gather(
            fetcher.fetch(big), fetcher.fetch(bomb), fetcher.fetch(small)
        )
    assert [r.error for r in results] == ["body over 4096 bytes", "body over 4096 bytes", None]
    assert results[0].body == b"" and len(results[2].body) == 1000


async def test_slow_answer_times_out(web: LocalWeb) -> None:
    url = web.add("/slow", "late", delay=1.5)
    async with Fetcher(fast_settings(fetch_timeout=0.3)) as fetcher:
        result = await fetcher.fetch(url)
    assert result.error == "timed out after 0.3s"
    assert result.status == 0 and not result.ok


async def test_slow_drip_body_hits_the_total_timeout() -> None:
    # Each byte arrives well within any per-read time-out; only a total limit stops it.
    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        try:
            for _ in range(100):
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.05)
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, Fetcher(fast_settings(fetch_timeout=0.4)) as fetcher:
        result = await fetcher.fetch(f"http://127.0.0.1:{port}/drip")
    assert result.error == "timed out after 0.4s"


async def test_connection_refused() -> None:
    async with Fetcher(fast_settings()) as fetcher:
        result = await fetcher.fetch(closed_port_url("/feed"))
    assert result.error == "connection refused"
    assert result.status == 0


async def test_bad_urls_are_errors_not_exceptions() -> None:
    async with Fetcher(fast_settings()) as fetcher:
        results = [await fetcher.fetch("ftp://example.test/feed"), await fetcher.fetch("http://")]
    assert all(r.error and not r.ok for r in results)


async def test_concurrency_is_limited(web: LocalWeb) -> None:
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def counted(_req):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return 200, {}, b"ok"

    web.add("/c", handler=counted)
    async with Fetcher(fast_settings(fetch_concurrency=2)) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(web.url(f"/c?{i}")) for i in range(6)))
    assert all(r.ok for r in results)
    assert state["most"] == 2
