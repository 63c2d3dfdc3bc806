"""A fast local web server for the corpus, in its own process, so it is not what we measure.

asyncio with keep-alive, every file preloaded into memory (with `__BASE__` replaced), ETag and
Last-Modified on every answer and 304 to a matching conditional GET. Paths:
`/feeds/N.xml` is feed N; any `/a/...` path is one of the generated pages (chosen by a hash of
the path, so every story URL has a page); `/stats` is JSON counters; the rest is 404.

Started by `LocalCorpusServer` (a context manager) as `python -m benchmarks.localweb`, the
file lists on stdin.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from benchmarks.corpus import body_for, page_for_path

LAST_MODIFIED = "Wed, 07 Jan 2026 06:00:00 GMT"


class Corpus:
    def __init__(self, feeds: list[Path], pages: list[Path], base_url: str) -> None:
        self.feeds = [body_for(p.read_bytes(), base_url) for p in feeds]
        self.pages = [body_for(p.read_bytes(), base_url) for p in pages]
        self.counts = {"requests": 0, "not_modified": 0, "not_found": 0, "bytes": 0}

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, str, str, bytes]:
        """(status, content type, etag, body) for a GET of `path`."""
        path = path.split("?", 1)[0]
        if path.startswith("/feeds/") and path.endswith(".xml"):
            try:
                number = int(path[len("/feeds/") : -len(".xml")])
                body = self.feeds[number]
            except (ValueError, IndexError):
                return 404, "text/plain", "", b"not found"
            etag = f'"feed-{number}-v1"'
            kind = "application/rss+xml; charset=utf-8"
        elif path.startswith("/a/") and self.pages:
            number = page_for_path(path, len(self.pages))
            body = self.pages[number]
            etag = f'"page-{number}-v1"'
            kind = "text/html; charset=utf-8"
        elif path == "/stats":
            return 200, "application/json", "", json.dumps(self.counts).encode()
        else:
            return 404, "text/plain", "", b"not found"
        if headers.get("if-none-match") == etag:
            return 304, kind, etag, b""
        return 200, kind, etag, body


async def read_request(
    reader: asyncio.StreamReader,
) -> tuple[str, str, dict[str, str], bytes] | None:
    """One HTTP/1.1 request off a kept-alive connection: (method, target, lower-case
    headers, body); None when the client has closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return method, target, headers, body


async def _handle(corpus: Corpus, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    try:
        while True:
            request = await read_request(reader)
            if request is None:
                break
            method, path, headers, _body = request
            status, kind, etag, body = corpus.answer(path, headers)
            if path != "/stats":
                corpus.counts["requests"] += 1
                corpus.counts["not_modified"] += status == 304
                corpus.counts["not_found"] += status == 404
                corpus.counts["bytes"] += len(body)
            reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
            out = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {kind}"]
            if etag:
                out += [f"ETag: {etag}", f"Last-Modified: {LAST_MODIFIED}"]
            if status != 304:
                out.append(f"Content-Length: {len(body)}")
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
            if method != "HEAD" and status != 304:
                writer.write(body)
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def _serve(feeds: list[Path], pages: list[Path]) -> None:
    server = await asyncio.start_server(
        lambda r, w: _handle(corpus, r, w), "127.0.0.1", 0, backlog=1024
    )
    port = server.sockets[0].getsockname()[1]
    corpus = Corpus(feeds, pages, f"http://127.0.0.1:{port}")
    print(port, flush=True)
    asyncio.get_running_loop().create_task(exit_with_parent())
    async with server:
        await server.serve_forever()


async def exit_with_parent() -> None:
    """Leave when the benchmark that started this server is gone (killed, crashed)."""
    parent = os.getppid()
    while True:
        await asyncio.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


class LocalCorpusServer:
    """The corpus server in a child process; `base_url` is where it answers."""

    def __init__(self, feeds: list[Path], pages: list[Path]) -> None:
        self.feeds, self.pages = feeds, pages
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> LocalCorpusServer:
        # The file lists go through stdin: a thousand paths do not belong on a command line.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.localweb"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdin is not None
        self.process.stdin.write(
            json.dumps(
                {"feeds": [str(p) for p in self.feeds], "pages": [str(p) for p in self.pages]}
            )
        )
        self.process.stdin.close()
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(self.base_url + "/stats", timeout=10) as answer:
            return json.loads(answer.read())

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


if __name__ == "__main__":
    files = json.loads(sys.stdin.read())
    asyncio.run(_serve([Path(p) for p in files["feeds"]], [Path(p) for p in files["pages"]]))
