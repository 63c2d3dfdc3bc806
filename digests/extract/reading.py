"""Reading one fetched page: extraction plus summary, as one picklable job for a worker
process, and the checks that decide a page gave no usable article."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from digests.extract.extractor import extract_article

# Less article text than this (in characters) is not an article: a paywall, a consent
# wall, an error page. CJK scripts pack more into a character.
MIN_TEXT_CHARS = 300
MIN_CJK_TEXT_CHARS = 120

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"\x89PNG", "image/png"),
    (b"GIF8", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_WALL = re.compile(
    r"cookie|consent|privacy (?:settings|choices)|personali[sz]ed (?:ads|advertising)|"
    r"subscribe|subscription|subscriber|sign in|log in|create (?:a free )?account|"
    r"register to|paywall|premium|continue reading|unlock|ad ?blocker|enable javascript|"
    r"підпи[сш]|передплат|подпи[сш]|зарегистр|абонем|abonn|abonnier|registrieren|"
    r"suscr[ií]b|inicia sesi[oó]n|zustimm|akzeptier|accept(?:ez)? (?:all|tous)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PageReading:
    """What a worker made of one page (small: crosses a process boundary)."""

    title: str = ""
    text: str = ""
    summary: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    top_image: str = ""
    language: str = ""
    extractor: str = ""
    problem: str | None = None  # why the page's text is not usable, if it is not


def content_type_charset(content_type: str) -> str | None:
    """The charset a Content-Type header names (`text/html; charset=KOI8-U`), or None."""
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def not_html_reason(content_type: str, body: bytes) -> str | None:
    """Why a response is not an HTML page ("not HTML (application/pdf)"), or None."""
    media = content_type.split(";", 1)[0].strip().lower()
    head = body[:16].lstrip()
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return f"not HTML ({kind})"
    if media in _HTML_TYPES:
        return None
    sniff = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    looks_like_html = sniff.startswith((b"<!doctype html", b"<html")) or b"<body" in sniff
    if media and not looks_like_html:
        return f"not HTML ({media})"
    if not media and not looks_like_html and b"<p" not in sniff:
        return "not HTML (no Content-Type, no markup)"
    return None


def too_little_text_reason(text: str) -> str | None:
    """Why extracted text is not an article: too short, or mostly a consent or
    subscription prompt; None when it is usable."""
    stripped = text.strip()
    cjk = len(_CJK.findall(stripped[:2000])) > len(stripped[:2000]) / 3
    minimum = MIN_CJK_TEXT_CHARS if cjk else MIN_TEXT_CHARS
    if len(stripped) < minimum:
        return f"page text too short ({len(stripped)} chars)"
    paragraphs = [p for p in stripped.split("\n") if p.strip()]
    wall_chars = sum(len(p) for p in paragraphs if _WALL.search(p))
    if wall_chars > 0.5 * len(stripped):
        return "page text is mostly a consent or subscription prompt"
    return None


def read_page(
    body: bytes, url: str, *, encoding: str | None = None, sentences: int = 3
) -> PageReading:
    """Extract the article from a fetched page and summarize it (runs in a worker)."""
    from digests.summarize.summarizer import summarize

    article = extract_article(body, url, encoding=encoding)
    problem = too_little_text_reason(article.text)
    summary = (
        []
        if problem
        else summarize(
            article.text, title=article.title, sentences=sentences, language=article.language
        )
    )
    return PageReading(
        title=article.title,
        text=article.text,
        summary=summary,
        authors=list(article.authors),
        published=article.published,
        top_image=article.top_image,
        language=article.language,
        extractor=article.extractor,
        problem=problem,
    )
