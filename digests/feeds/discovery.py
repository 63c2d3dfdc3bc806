"""Finding a site's feeds from its home page (`<link rel="alternate">` autodiscovery)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml"}
)


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"].strip()
        elif tag == "link":
            rel = values.get("rel", "").lower().split()
            kind = values.get("type", "").lower().split(";")[0].strip()
            href = values.get("href", "").strip()
            if "alternate" in rel and kind in FEED_TYPES and href:
                self.hrefs.append(href)

    handle_startendtag = handle_starttag


def discover_feeds(page: str | bytes, page_url: str) -> list[str]:
    """The absolute URLs of the feeds a page announces, in page order, each once."""
    if isinstance(page, bytes):
        page = page.decode("utf-8", errors="replace")
    collector = _LinkCollector()
    collector.feed(page)
    collector.close()
    base = urljoin(page_url, collector.base) if collector.base else page_url
    found: list[str] = []
    for href in collector.hrefs:
        url = urljoin(base, href)
        if url.startswith(("http://", "https://")) and url not in found:
            found.append(url)
    return found
