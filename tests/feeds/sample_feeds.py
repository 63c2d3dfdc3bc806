"""Small RSS and Atom documents for tests, and the bundled fixture files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

TESTDATA = Path(__file__).resolve().parents[2] / "digests" / "feeds" / "testdata"


@dataclass(frozen=True)
class Item:
    title: str
    link: str | None = None
    guid: str | None = None
    description: str = ""


def rss(items: list[Item], *, title: str = "Test feed", ttl: int | None = None) -> str:
    """An RSS 2.0 document with `items`."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link>",
    ]
    if ttl is not None:
        parts.append(f"<ttl>{ttl}</ttl>")
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.description:
            parts.append(f"<description>{escape(item.description)}</description>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


def fixture(name: str, base: str) -> bytes:
    """A file from digests/feeds/testdata with `{base}` replaced by the server's URL."""
    return (TESTDATA / name).read_bytes().replace(b"{base}", base.encode("ascii"))
