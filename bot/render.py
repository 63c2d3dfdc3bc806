"""A digest as Telegram HTML messages.

Built from plain text and our own tags only: every outside string (titles, summaries,
source names, the subscriber's topic text) is cleaned and escaped, feed HTML never passes
through. Each message stays within Telegram's limits as Telegram counts them: 4096 UTF-16
code units of visible text (tags removed, entities decoded) and 100 formatting entities.
A digest splits between items, never inside one; an item too long alone is shortened at a
sentence or word boundary.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from digests.compose.model import DigestItem, DigestPlan

MAX_MESSAGE_UTF16 = 4096
MAX_ENTITIES = 100
# Caps for the parts of an item other than its summary, so the summary keeps most room.
MAX_TITLE_UTF16 = 300
MAX_LINE_UTF16 = 200
MAX_TOPIC_UTF16 = 200
MAX_MATCHED_WORDS = 8
MAX_SOURCES_SHOWN = 2
MAX_URL_CHARS = 2048
ELLIPSIS = "…"
_SEPARATOR = "\n\n"

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_TAG_RE = re.compile(r"<[^>]*>")
_OPEN_TAG_RE = re.compile(r"<[a-z]")
_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]+)|#[xX]([0-9a-fA-F]+));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SENTENCE_END_RE = re.compile(r"[.!?…。！？][\"'”’»)]*\s")


def escape(text: str) -> str:
    """`text` safe inside Telegram HTML, in text or in a quoted attribute value."""
    return html.escape(text, quote=True)


def _decode_entity(match: re.Match[str]) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED[named]
    return chr(int(decimal) if decimal else int(hexadecimal, 16))


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (emoji outside the BMP count 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def telegram_text_length(html_text: str) -> int:
    """How long Telegram counts a message in HTML parse mode: the visible text (tags
    removed, entities decoded) in UTF-16 code units."""
    visible = _HTML_ENTITY_RE.sub(_decode_entity, _TAG_RE.sub("", html_text))
    return utf16_length(visible)


def count_entities(html_text: str) -> int:
    """How many formatting entities our HTML makes (one per opening tag)."""
    return len(_OPEN_TAG_RE.findall(html_text))


def strip_tags(html_text: str) -> str:
    """The visible text of our HTML: tags removed, entities decoded."""
    return _HTML_ENTITY_RE.sub(_decode_entity, _TAG_RE.sub("", html_text))


def clean_text(text: str) -> str:
    """Outside text made fit for one line: control characters and lone surrogates out,
    runs of whitespace collapsed."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            kept.append(" ")
        elif category != "Cs":
            kept.append(ch)
    return " ".join("".join(kept).split())


def shorten(text: str, max_units: int) -> str:
    """`text` within `max_units` UTF-16 units, cut at a sentence end, else at a word
    boundary, else anywhere, with "…" added when cut."""
    if utf16_length(text) <= max_units:
        return text
    if max_units <= 0:
        return ""
    budget = max_units - 2  # room for " …"
    prefix_chars: list[str] = []
    used = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > budget:
            break
        prefix_chars.append(ch)
        used += width
    prefix = "".join(prefix_chars)
    # Prefer a sentence end that keeps at least half the room, then a word boundary.
    sentence_ends = [m.end() for m in _SENTENCE_END_RE.finditer(prefix + " ")]
    if sentence_ends and sentence_ends[-1] >= len(prefix) // 2:
        return prefix[: sentence_ends[-1]].rstrip() + " " + ELLIPSIS
    space = prefix.rfind(" ")
    if space >= len(prefix) // 2:
        prefix = prefix[:space]
    return prefix.rstrip() + ELLIPSIS


def safe_link(url: str) -> str | None:
    """`url` when it is a plain http(s) link Telegram accepts as a text link, else None."""
    if not url or len(url) > MAX_URL_CHARS:
        return None
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _day(moment: datetime) -> str:
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]}"


def _when(published: datetime, timezone: ZoneInfo, local_now: datetime) -> str:
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    local = published.astimezone(timezone)
    if local.date() == local_now.date():
        return f"{local:%H:%M}"
    if local.year == local_now.year:
        return f"{local.day} {_MONTHS[local.month - 1]}"
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def _unique(values: tuple[str, ...] | list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        value = clean_text(value)
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            out.append(value)
    return out


@dataclass(frozen=True)
class _Block:
    """A piece of a message that is never split: its HTML and what Telegram counts."""

    html: str
    length: int
    entities: int

    @classmethod
    def of(cls, html_text: str) -> _Block:
        return cls(html_text, telegram_text_length(html_text), count_entities(html_text))


def _meta_line(item: DigestItem, timezone: ZoneInfo, local_now: datetime) -> str:
    sources = _unique(item.sources)
    parts = []
    if sources:
        shown = ", ".join(sources[:MAX_SOURCES_SHOWN])
        if len(sources) > MAX_SOURCES_SHOWN:
            shown += f" +{len(sources) - MAX_SOURCES_SHOWN}"
        parts.append(shown)
    if item.published is not None:
        parts.append(_when(item.published, timezone, local_now))
    return shorten(" · ".join(parts), MAX_LINE_UTF16)


def item_title(item: DigestItem) -> str:
    """The title as the digest shows it (cleaned and capped), before escaping."""
    return shorten(clean_text(item.title), MAX_TITLE_UTF16) or "Untitled story"


def _item_block(item: DigestItem, timezone: ZoneInfo, local_now: datetime, budget: int) -> _Block:
    title = item_title(item)
    link = safe_link(item.url)
    if link:
        title_html = f'<b><a href="{escape(link)}">{escape(title)}</a></b>'
    else:
        title_html = f"<b>{escape(title)}</b>"
    lines = [(title_html, utf16_length(title))]
    meta = _meta_line(item, timezone, local_now)
    if meta:
        lines.append((escape(meta), utf16_length(meta)))
    matched_words = _unique(item.matched)[:MAX_MATCHED_WORDS]
    matched = shorten("matched: " + ", ".join(matched_words), MAX_LINE_UTF16)
    summary = clean_text(" ".join(item.summary))
    fixed = sum(length for _, length in lines) + len(lines)  # each line + its newline
    if matched_words:
        fixed += utf16_length(matched) + 1
    if summary:
        summary = shorten(summary, budget - fixed)
    if summary:
        lines.append((escape(summary), utf16_length(summary)))
    if matched_words:
        lines.append((f"<i>{escape(matched)}</i>", utf16_length(matched)))
    return _Block.of("\n".join(html_line for html_line, _ in lines))


def _heading(topic: str, continued: bool) -> _Block:
    text = shorten(clean_text(topic), MAX_TOPIC_UTF16) or "Your topics"
    suffix = " (cont.)" if continued else ""
    return _Block.of(f"🔹 <b>{escape(text)}</b>{suffix}")


def _header(plan: DigestPlan, local_now: datetime) -> _Block:
    count = len(plan.items)
    stories = "1 story" if count == 1 else f"{count} stories"
    return _Block.of(f"📰 <b>Your digest — {_day(local_now)} · {stories}</b>")


class _Packer:
    """Fills messages with blocks up to Telegram's limits."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.blocks: list[_Block] = []

    def fits(self, *blocks: _Block) -> bool:
        candidate = [*self.blocks, *blocks]
        length = sum(b.length for b in candidate) + utf16_length(_SEPARATOR) * (len(candidate) - 1)
        entities = sum(b.entities for b in candidate)
        return length <= MAX_MESSAGE_UTF16 and entities <= MAX_ENTITIES

    def add(self, *blocks: _Block) -> None:
        self.blocks.extend(blocks)

    def flush(self) -> None:
        if self.blocks:
            self.messages.append(_SEPARATOR.join(b.html for b in self.blocks))
            self.blocks = []


def render_digest(plan: DigestPlan, *, timezone: ZoneInfo, now: datetime) -> list[str]:
    """The digest as Telegram HTML messages, in order; [] for an empty plan.

    A header (the date in the subscriber's zone, how many stories), a heading per topic,
    and per item: the title as a bold link, sources and time, the summary, and the words
    that matched. Messages split between items; a topic continued in the next message
    repeats its heading with "(cont.)".
    """
    if plan.is_empty:
        return []
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    local_now = now.astimezone(timezone)
    header = _header(plan, local_now)
    packer = _Packer()
    packer.add(header)
    separator = utf16_length(_SEPARATOR)
    for section in plan.sections:
        if not section.items:
            continue
        heading = _heading(section.topic, continued=False)
        continued = _heading(section.topic, continued=True)
        # Room for one item in a message that also holds the header and a heading.
        budget = MAX_MESSAGE_UTF16 - header.length - continued.length - 2 * separator
        for index, item in enumerate(section.items):
            block = _item_block(item, timezone, local_now, budget)
            if index == 0:
                if not packer.fits(heading, block):
                    packer.flush()
                packer.add(heading, block)
            else:
                if not packer.fits(block):
                    packer.flush()
                    packer.add(continued)
                packer.add(block)
    packer.flush()
    return packer.messages
