"""Parsing an RSS 0.9x/1.0/2.0 or Atom document into plain data.

feedparser does the parsing; around it we settle the character encoding ourselves
(feedparser guesses windows-1252 for an undeclared windows-1251 or KOI8-U feed, which
turns Cyrillic into mojibake), tell an HTML page from a feed, strip entry HTML to plain
text and drop entries that name no page.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import xml.sax
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from time import struct_time
from urllib.parse import urljoin

import feedparser

log = logging.getLogger(__name__)

MAX_URL_CHARS = 2048


class FeedParseError(ValueError):
    """The document is not a usable feed; the message says why in one line."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, as plain text."""

    url: str
    guid: str | None
    title: str
    summary: str  # the entry's description, HTML stripped, entities decoded
    published_at: datetime | None


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's own description and its usable entries."""

    title: str
    site_url: str
    entries: list[FeedEntry]
    ttl_minutes: int | None = None  # how long the feed asks to be cached (<ttl>, sy:update*)
    encoding: str = ""
    # Set when the XML was broken but feedparser recovered entries from it.
    warning: str | None = None
    skipped: list[str] = field(default_factory=list)  # why entries were left out


# --- encoding ---------------------------------------------------------------------------

_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The commonest lower-case letters of Ukrainian and Russian news text. Read in the wrong
# one of windows-1251 / KOI8-U, Cyrillic text comes out mostly in capitals and rare
# letters, so the right reading is the one where these letters dominate.
_FREQUENT_CYRILLIC = frozenset("оаеинтсрвлкмдпуяіїєьзгбчйхжшю")
_CYRILLIC_CANDIDATES = ("cp1251", "koi8_u")


def _known_codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_encoding(body: bytes, content_type: str = "") -> str | None:
    """The encoding the document or its HTTP header names (BOM first), if any."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    match = _CHARSET.search(content_type or "")
    if match and _known_codec(match.group(1)):
        return match.group(1)
    match = _XML_DECLARATION.match(body[:512])
    if match and _known_codec(match.group(1).decode("ascii")):
        return match.group(1).decode("ascii")
    return None


def cyrillic_score(text: str) -> int:
    """How many of `text`'s letters are common lower-case Cyrillic letters."""
    return sum(1 for char in text if char in _FREQUENT_CYRILLIC)


def _mixed_with_latin(text: str) -> float:
    """The share of Cyrillic letters that touch a Latin letter (`Cafй` for `Café`)."""
    cyrillic = mixed = 0
    for index, char in enumerate(text):
        if not ("\u0400" <= char <= "\u04ff"):
            continue
        cyrillic += 1
        neighbours = text[max(0, index - 1) : index] + text[index + 1 : index + 2]
        if any(n.isascii() and n.isalpha() for n in neighbours):
            mixed += 1
    return mixed / cyrillic if cyrillic else 1.0


def guess_cyrillic_encoding(body: bytes) -> str | None:
    """windows-1251 or KOI8-U, whichever reads `body` as plausible Cyrillic text, or
    None when neither reading looks like Cyrillic at all."""
    best, best_score, best_text = None, 0, ""
    for name in _CYRILLIC_CANDIDATES:
        text = body.decode(name, errors="replace")
        score = cyrillic_score(text)
        if score > best_score:
            best, best_score, best_text = name, score, text
    # Western-European text read as Cyrillic gives single letters inside Latin words
    # (`Cafй`); real Cyrillic text has whole Cyrillic words.
    if best is None or _mixed_with_latin(best_text) > 0.2:
        return None
    return best


def decide_encoding(body: bytes, content_type: str = "") -> str | None:
    """The encoding to read `body` with: the declared one when it decodes, else UTF-8
    when it decodes, else windows-1251 or KOI8-U when the text is Cyrillic; None leaves
    the guess to feedparser."""
    declared = declared_encoding(body, content_type)
    candidates = [declared] if declared else []
    candidates.append("utf-8")
    for name in candidates:
        try:
            body.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        return name
    return guess_cyrillic_encoding(body)


def as_utf8(body: bytes, content_type: str = "") -> tuple[bytes, str]:
    """`body` re-encoded as UTF-8 and the encoding it was read with ("" if unsure)."""
    encoding = decide_encoding(body, content_type)
    if encoding is None:
        return body, ""
    text = body.decode(encoding)
    return text.lstrip("\ufeff").encode("utf-8"), codecs.lookup(encoding).name


# --- text -------------------------------------------------------------------------------

# Tags that end a run of text: their words must not run into the next ones.
_BLOCK_TAGS = (
    frozenset({"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt"})
    | {"figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr"}
    | {"li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"}
)
_SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, blanks collapsed."""
    if "<" not in markup and "&" not in markup:
        return " ".join(markup.split())
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    text = "".join(collector.parts)
    return " ".join(text.split())


# --- parsing ----------------------------------------------------------------------------

_TTL = re.compile(r"^\d+$")
_UPDATE_PERIOD_MINUTES = {"hourly": 60, "daily": 1440, "weekly": 10080, "monthly": 43200}
_HTML_START = re.compile(
    rb"^(?:\s|<\?xml[^>]*>|<!--.*?-->)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_html(body: bytes) -> bool:
    """True when the document is an HTML page rather than XML."""
    return bool(_HTML_START.match(body[:4096].lstrip(codecs.BOM_UTF8)))


def _text_of(entry: dict, key: str) -> str:
    value = entry.get(key) or ""
    detail = entry.get(f"{key}_detail") or {}
    if "html" in (detail.get("type") or "html"):
        return html_to_text(value)
    return " ".join(value.split())


def _datetime_of(entry: dict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, struct_time):
            try:
                return datetime(*value[:6], tzinfo=UTC)
            except ValueError:
                continue
    return None


def _is_web_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and len(value) <= MAX_URL_CHARS


def _ttl_minutes(feed: dict) -> int | None:
    ttl = str(feed.get("ttl") or "").strip()
    if _TTL.match(ttl) and int(ttl) > 0:
        return int(ttl)
    period = str(feed.get("sy_updateperiod") or "").strip().lower()
    if period in _UPDATE_PERIOD_MINUTES:
        frequency = str(feed.get("sy_updatefrequency") or "1").strip()
        times = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
        return max(1, _UPDATE_PERIOD_MINUTES[period] // times)
    return None


def _absolute(link: str, base: str) -> str:
    if not link or link.startswith(("http://", "https://")) or not base:
        return link
    return urljoin(base, link)


def _entry(raw: dict, base: str, skipped: list[str]) -> FeedEntry | None:
    title = _text_of(raw, "title")
    guid = (raw.get("id") or "").strip() or None
    link = _absolute((raw.get("link") or "").strip(), base)
    if not _is_web_url(link):
        if guid and _is_web_url(guid):
            link = guid
        else:
            reason = "a link too long" if len(link) > MAX_URL_CHARS else "no link"
            skipped.append(f"entry {title or guid or '(untitled)'!r} has {reason}")
            return None
    summary = ""
    for key in ("summary", "description"):
        if raw.get(key):
            summary = _text_of(raw, key)
            break
    if not summary and raw.get("content"):
        content = raw["content"][0]
        summary = html_to_text(content.get("value") or "")
    if guid and len(guid) > MAX_URL_CHARS:
        guid = guid[:MAX_URL_CHARS]
    return FeedEntry(
        url=link,
        guid=guid,
        title=title,
        summary=summary,
        published_at=_datetime_of(raw),
    )


def parse_feed(body: bytes, url: str = "", content_type: str = "") -> ParsedFeed:
    """Parse a feed document fetched from `url`; raises FeedParseError if it is none."""
    if not body.strip():
        raise FeedParseError("empty document (not a feed)")
    data, encoding = as_utf8(body, content_type)
    # No content-location: feedparser would resolve every URI of every entry against it,
    # a quarter of its time; the links we keep are resolved below (xml:base still applies).
    headers: dict[str, str] = {}
    # Our own reading wins; without one, feedparser falls back to its own guesses.
    headers["content-type"] = "application/xml" + ("; charset=utf-8" if encoding else "")
    # A stream, never bytes: feedparser treats bytes as a possible file name.
    # No sanitizing or rewriting of entry HTML: it is reduced to plain text here anyway,
    # and those passes are most of feedparser's time on a big feed.
    parsed = feedparser.parse(
        io.BytesIO(data), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    raw_entries = parsed.get("entries") or []
    if not parsed.get("version") and not raw_entries:
        if looks_like_html(data):
            raise FeedParseError("not a feed (got an HTML page)")
        problem = parsed.get("bozo_exception")
        if not data.lstrip().startswith(b"<"):
            raise FeedParseError("not a feed (not an XML document)")
        if problem is not None:
            raise FeedParseError(f"malformed XML: {' '.join(str(problem).split())}")
        raise FeedParseError("not a feed (no RSS or Atom document found)")
    warning = None
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(problem, xml.sax.SAXException):
        message = " ".join(str(problem).split())
        if not raw_entries:
            raise FeedParseError(f"malformed XML: {message}")
        warning = f"malformed XML, {len(raw_entries)} entries recovered: {message}"
    skipped: list[str] = []
    entries = [entry for raw in raw_entries if (entry := _entry(raw, url, skipped)) is not None]
    feed = parsed.get("feed") or {}
    return ParsedFeed(
        title=_text_of(feed, "title"),
        site_url=_absolute((feed.get("link") or "").strip(), url),
        entries=entries,
        ttl_minutes=_ttl_minutes(feed),
        encoding=encoding or str(parsed.get("encoding") or ""),
        warning=warning,
        skipped=skipped,
    )


async def parse_feed_async(body: bytes, url: str = "", content_type: str = "") -> ParsedFeed:
    """`parse_feed` in the process-wide feed parsing process (see `parse_pool`): parsing
    in a thread of this process would hold the GIL and stall the event loop."""
    from digests.feeds.parse_pool import shared_parse_pool  # it imports this module

    return await shared_parse_pool().parse(body, url, content_type)
