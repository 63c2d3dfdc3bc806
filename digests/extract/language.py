"""A page's language: what it declares, checked against the letters it is written in.

Cheap and offline: the writing system decides most cases (Cyrillic, CJK, Greek, Arabic…);
Ukrainian and Russian are told apart by their own letters (і ї є ґ vs ы э ъ ё); Latin-script
text is scored against newspaper4k's stop-word lists of the common European languages.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

_DECLARED = (
    re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I),
    re.compile(
        r"<meta\b[^>]*?http-equiv\s*=\s*[\"']?content-language[\"']?[^>]*?content\s*=\s*"
        r"[\"']?([A-Za-z]{2,3})",
        re.I,
    ),
    re.compile(
        r"<meta\b[^>]*?property\s*=\s*[\"']?og:locale[\"']?[^>]*?content\s*=\s*[\"']?([A-Za-z]{2,3})",
        re.I,
    ),
)
_INVISIBLE = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")

# Languages whose writing system is their own (or nearly).
_SCRIPT_RANGES = (
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ka", re.compile(r"[\u10a0-\u10ff]")),
    ("hy", re.compile(r"[\u0530-\u058f]")),
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_UK_LETTERS = re.compile(r"[іїєґІЇЄҐ]")
_RU_LETTERS = re.compile(r"[ыэъёЫЭЪЁ]")
_BE_LETTERS = re.compile(r"[ўЎ]")
_WORD = re.compile(r"[^\W\d_]+")

# Latin-script languages told apart by their stop words (newspaper4k's lists).
_LATIN_CANDIDATES = ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "cs", "ro", "tr")
_CYRILLIC_LANGS = {"uk", "ru", "be", "bg", "sr", "mk", "kk", "mn"}


def declared_language(html: str) -> str:
    """The two-letter language the page declares (`<html lang>`, Content-Language,
    og:locale), lower-case, or ""."""
    head = html[:20000]
    for pattern in _DECLARED:
        match = pattern.search(head)
        if match:
            code = match.group(1).lower()
            if len(code) == 2:
                return code
    return ""


def visible_text_sample(html: str, limit: int = 60000) -> str:
    """Roughly the page's visible text (tags, scripts and styles removed)."""
    return _TAG.sub(" ", _INVISIBLE.sub(" ", html[:limit]))


@lru_cache(maxsize=1)
def _latin_stopwords() -> dict[str, frozenset[str]]:
    from newspaper import settings

    lists: dict[str, frozenset[str]] = {}
    for code in _LATIN_CANDIDATES:
        path = Path(settings.STOPWORDS_DIR) / f"stopwords-{code}.txt"
        if path.exists():
            words = path.read_text(encoding="utf-8").split()
            # Short, frequent function words tell languages apart; long lists blur them.
            lists[code] = frozenset(w.lower() for w in words[:400])
    return lists


def _cyrillic_language(text: str) -> str:
    uk = len(_UK_LETTERS.findall(text))
    ru = len(_RU_LETTERS.findall(text))
    be = len(_BE_LETTERS.findall(text))
    if be > max(uk, ru) / 4 and be > 2:
        return "be"
    return "uk" if uk > ru else "ru"


def _latin_language(text: str) -> str:
    words = Counter(w.lower() for w in _WORD.findall(text[:20000]))
    if not words:
        return ""
    best, best_score = "", 0
    for code, stop in _latin_stopwords().items():
        score = sum(n for w, n in words.items() if w in stop)
        if score > best_score:
            best, best_score = code, score
    return best


def detect_language(text: str) -> str:
    """The language of `text` guessed from its letters (and stop words for Latin script)."""
    letters = Counter()
    sample = text[:20000]
    for code, pattern in _SCRIPT_RANGES:
        letters[code] = len(pattern.findall(sample))
    # Japanese mixes kanji with kana: any real amount of kana makes it Japanese.
    if letters["ja"] > 20 and letters["ja"] * 5 > letters["zh"] // 2:
        letters["ja"] += letters.pop("zh")
    letters["cyrillic"] = len(_CYRILLIC.findall(sample))
    letters["latin"] = len(_LATIN.findall(sample))
    top, count = letters.most_common(1)[0]
    if count == 0:
        return ""
    if top == "cyrillic":
        return _cyrillic_language(sample)
    if top == "latin":
        return _latin_language(sample)
    return top


def _script_of(code: str) -> str:
    if code in _CYRILLIC_LANGS:
        return "cyrillic"
    for script_code, _ in _SCRIPT_RANGES:
        if code == script_code:
            return code
    return "latin"


def page_language(html: str, text: str = "") -> str:
    """The page's language: the declared one when the text is written in its script,
    otherwise what the text's letters say. `text` defaults to the page's visible text."""
    declared = declared_language(html)
    detected = detect_language(text or visible_text_sample(html))
    if not declared:
        return detected
    if not detected or _script_of(declared) == _script_of(detected):
        # Same writing system: trust the page, except Ukrainian vs Russian, which a
        # default template often gets wrong — the letters settle it.
        if declared in ("uk", "ru") and detected in ("uk", "ru"):
            return detected
        return declared
    return detected
