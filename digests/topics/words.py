"""Words of a text: tokens with their spans, folded forms, scripts and capitalisation."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# A dotted acronym (U.S., E.U.) or a word, possibly with inner apostrophes (Ukraine's, м'ясо).
_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|\w+(?:['’ʼ`]\w+)*")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})
# French/Italian elisions: l'Ukraine, d'Ukraine, dell'Ucraina.
_ELISIONS = frozenset({"l", "d", "qu", "dell", "nell", "all", "dall", "sull", "un"})
_SENTENCE_END = frozenset(".!?:;\n\r|•—–-")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text as found there."""

    surface: str  # as written, with its possessive or elision
    core: str  # the word itself: possessive ('s) and elision (l') removed, dots of U.S. removed
    folded: str  # core lower-cased, accents removed (Latin), ё -> е
    start: int
    end: int
    cyrillic: bool
    latin: bool
    capitalised: bool  # first letter upper-case as written
    sentence_start: bool  # first word of the text or after . ! ? : etc.


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch == "ё":
        return "е"
    decomposed = unicodedata.normalize("NFD", ch)
    base = decomposed[0]
    # Strip accents from Latin letters only: й and ї are letters of their own in Cyrillic.
    if len(decomposed) > 1 and base.isascii():
        return base
    return ch


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower-case, accent-free (for Latin letters) form used to compare words."""
    lowered = word.casefold().translate(_APOSTROPHES)
    if lowered.isascii():
        return lowered
    return "".join(_fold_char(ch) for ch in lowered)


def _script(word: str) -> tuple[bool, bool]:
    if word.isascii():  # most words: Latin when it has a letter (ASCII letters are cased)
        return False, word.lower() != word.upper()
    cyrillic = latin = False
    for ch in word:
        code = ord(ch)
        if 0x400 <= code <= 0x52F:
            cyrillic = True
        elif ch.isalpha() and code < 0x250:
            latin = True
    return cyrillic, latin


def _core(surface: str) -> str:
    word = surface.translate(_APOSTROPHES)
    if "." in word:  # U.S. -> US
        return word.replace(".", "")
    if "'" in word:
        lowered = word.casefold()
        if lowered.endswith("'s"):
            word = word[:-2]
        elif lowered.endswith("s'"):  # the Ukrainians' grain
            word = word[:-1]
        head, _, tail = word.partition("'")
        if tail and head.casefold() in _ELISIONS:
            word = tail
    return word


def tokenize(text: str, limit: int | None = None) -> list[Token]:
    """The words of `text` in order, the first `limit` of them if given (text is expected
    NFC-normalised)."""
    tokens: list[Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(text):
        if limit is not None and len(tokens) >= limit:
            break
        surface = match.group()
        core = _core(surface)
        if not core:
            continue
        between = text[previous_end : match.start()]
        sentence_start = not tokens or any(ch in _SENTENCE_END for ch in between)
        cyrillic, latin = _script(core)
        tokens.append(
            Token(
                surface=surface,
                core=core,
                folded=fold(core),
                start=match.start(),
                end=match.end(),
                cyrillic=cyrillic,
                latin=latin,
                capitalised=core[:1].isupper(),
                sentence_start=sentence_start,
            )
        )
        previous_end = match.end()
    return tokens


def normalize_text(text: str) -> str:
    """NFC form, so that accented letters are single word characters."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)


def is_title_case(tokens: list[Token]) -> bool:
    """Whether most longer words are capitalised (a headline in Title Case or CAPITALS),
    where a capital letter says nothing about a word being a name."""
    long_words = [t for t in tokens if len(t.core) >= 4 and t.core.isalpha()]
    if len(long_words) < 3:
        return False
    capitalised = sum(1 for t in long_words if t.capitalised)
    return capitalised / len(long_words) > 0.6


def is_acronym(core: str) -> bool:
    """Two to five capitals (US, EU, NATO, G7, США) as written."""
    return 2 <= len(core) <= 5 and core.isupper() and core[:1].isalpha()


UKRAINIAN_LETTERS = frozenset("іїєґІЇЄҐ")
RUSSIAN_LETTERS = frozenset("ыэъёЫЭЪЁ")


def cyrillic_languages(text: str) -> tuple[str, ...]:
    """Which of Ukrainian and Russian a Cyrillic text is, from letters only one of them uses;
    both when it cannot be told."""
    uk = sum(1 for ch in text if ch in UKRAINIAN_LETTERS)
    ru = sum(1 for ch in text if ch in RUSSIAN_LETTERS)
    if uk > ru:
        return ("uk",)
    if ru > uk:
        return ("ru",)
    return ("uk", "ru")


def word_end(text: str, start: int) -> int:
    """Where the word `tokenize` found at `start` of `text` ends."""
    match = _TOKEN.match(text, start)
    return match.end() if match else start
