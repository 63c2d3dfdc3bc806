"""Lines that are site furniture, not article: syndication footers, teaser links, widgets."""

from __future__ import annotations

import re

# Whole lines that are never article text.
_FURNITURE = re.compile(
    r"""^(?:
        read\ more|read\ the\ full\ (?:story|article)|continue\ reading|no\ results?|
        view\ all\ results?|load\ more|show\ more|advertisement|sponsored|
        share\ this\ (?:article|story)|skip\ to\ (?:main\ )?content|
        читати\ далі|читать\ далее|weiterlesen|lire\ la\ suite|leer\ más|leia\ mais|
        continua\ a\ leggere|реклама|anzeige|publicité|publicidad
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
# WordPress syndication footer: "The post <title> appeared first on <site>."
_APPEARED_FIRST = re.compile(r"^the post\b.{1,400}\bappeared first on\b.{1,200}$", re.I)
# "Read also: <headline>" links dropped into the body.
_READ_ALSO = re.compile(
    r"""^(?:read\ also|see\ also|also\ read|related|more\ on\ this|читайте\ також|
        читайте\ также|читай\ також|дивіться\ також|смотрите\ также|lesen\ sie\ auch|
        mehr\ zum\ thema|lire\ aussi|à\ lire\ aussi|a\ lire\ aussi|lee\ también|
        leer\ también|lea\ también|leggi\ anche|leia\ também|czytaj\ też|czytaj\ także|
        関連記事|
        あわせて読みたい|함께\ 보면\ 좋은\ 기사|관련\ ?기사|相关阅读|延伸阅读|推荐阅读|相關閱讀)
        \s*[:：\-–—]""",
    re.IGNORECASE | re.VERBOSE,
)


def is_furniture(line: str) -> bool:
    """Whether a line of extracted text is site furniture rather than article."""
    stripped = line.strip()
    if not stripped:
        return False
    if _FURNITURE.match(stripped) or _APPEARED_FIRST.match(stripped):
        return True
    return len(stripped) < 200 and bool(_READ_ALSO.match(stripped))


def strip_furniture(text: str) -> str:
    """`text` without furniture lines, paragraphs separated by one blank line."""
    paragraphs = [p.strip() for p in text.splitlines()]
    return "\n\n".join(p for p in paragraphs if p and not is_furniture(p))


def furniture_share(text: str) -> float:
    """The share of `text`'s lines that are furniture (0.0 for empty text)."""
    lines = [p for p in text.splitlines() if p.strip()]
    if not lines:
        return 0.0
    return sum(is_furniture(p) for p in lines) / len(lines)


_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？", '"', "”", "»", "»", ":", "；", ";")


def _is_label(line: str) -> bool:
    """A menu item, section name or share button: a few words, no sentence ending."""
    words = line.split()
    return len(words) <= 5 and len(line) <= 60 and not line.endswith(_SENTENCE_END)


def _is_byline(line: str, authors: list[str]) -> bool:
    """A byline ("By Jane Doe — 7 Jan 2026"): short, names an author, not a sentence (a
    bio line at the article's end is one, and stays)."""
    return (
        len(line) <= 100
        and not line.endswith((".", "!", "?", "。"))
        and any(a and a in line for a in authors)
    )


def tidy_body(text: str, *, title: str = "", authors: list[str] | None = None) -> str:
    """An extracted body without furniture lines, the repeated headline, byline lines,
    and menu labels hanging at its start or end; paragraphs separated by blank lines."""
    authors = [a for a in (authors or []) if len(a) >= 4]
    folded_title = title.strip().casefold()
    lines = [p.strip() for p in text.splitlines()]
    lines = [
        p
        for p in lines
        if p and not is_furniture(p) and p.casefold() != folded_title and not _is_byline(p, authors)
    ]
    while lines and _is_label(lines[0]):
        lines.pop(0)
    while lines and _is_label(lines[-1]):
        lines.pop()
    return "\n\n".join(lines)
