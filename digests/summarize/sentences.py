"""Splitting text into sentences without any downloaded model.

A sentence ends at `.`, `!`, `?`, `…` (and `。！？` in CJK text), possibly followed by
closing quotes or brackets, when the next sentence starts with a capital letter, a digit,
an opening quote or a CJK character — unless the word before the dot is an abbreviation
(Mr., Dr., St., Jan., No., вул., м., z. B., …), an initial (J., В.), or a dotted
abbreviation (U.S., a.m.) that the next word shows is mid-sentence. A line break always
ends a sentence.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations after which a capitalised word does NOT start a new sentence
# (titles, addresses, "No. 5", months before a day number are handled separately).
_TITLES = _words(
    # English
    "mr mrs ms mx dr prof sen rep gov gen lt col sgt capt cmdr adm maj pres rev fr "
    "hon mt no nos vol pp fig art sec dept est approx vs v cf e.g i.e viz ca op ed "
    "eds sq "
    # German
    "hr nr z bzw vgl ggf evtl inkl zzgl dt str abs bzgl sog u s o d j jh mio mrd tel "
    # French / Spanish / Italian / Portuguese
    "m mm mme mlle me sr sra srta sres dra dña núm pág av avda sig dott ing avv sto "
    "sta cap "
    # Ukrainian
    "вул м с смт обл р-н ім св див ст пл просп пров буд кв проф акад доц ген т тис "
    "млн млрд грн коп напр прим і пан пані п ч рис табл гл "
    # Russian
    "ул г гг пер д корп стр т.е т.к т.н т.д т.п др пр руб долл им см ср тыс чел мин "
    "сек ок "
)
# Abbreviations that may also end a sentence: a new sentence starts after them only
# when the next word is a typical sentence opener.
_MAYBE_FINAL = _words(
    "u.s u.k e.u u.n u.s.a d.c inc corp ltd co jr sr etc llc plc bros usw ff p.m a.m "
    "ee.uu уу st ave blvd rd ft "
)
_MONTHS = _words(
    "jan feb mar apr jun jul aug sep sept oct nov dec janv févr avr juil déc ene dic "
    "abr ago set okt dez січ лют бер квіт трав черв лип серп вер жовт лист груд янв "
    "фев мар апр авг сент окт нояб дек "
)
# German day ordinals: "am 7. Januar" is one sentence.
_GERMAN_MONTHS = _words(
    "januar jänner februar märz april mai juni juli august september oktober november dezember "
)
# Words that typically open an English sentence (after "U.S.", "Inc." …).
_OPENERS = _words(
    "the a an but and he she it they we i in on at this that these those there his "
    "her its their our as after before when while if for so yet still however mr mrs "
    "ms dr some many most officials last by with according meanwhile also now then "
    "since although both one "
)

_CJK_END = "。！？"
_QUOTE_CLOSE = "\"'”’»)]›」』"
_QUOTE_OPEN = "\"'“‘«„‚(‹「『¿¡"
# A candidate end: terminator run + closing quotes/brackets, then space (or CJK end).
_CANDIDATE = re.compile(rf"(?:[.!?…]+|[{_CJK_END}]+)[{re.escape(_QUOTE_CLOSE)}]*(?=\s|$|[^\s])")
_WORD_BEFORE = re.compile(r"([^\W\d_](?:[^\W\d_]|[.\-])*)$")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _next_word(text: str, start: int) -> str:
    match = re.match(r"\s*[" + re.escape(_QUOTE_OPEN) + r"]*([^\s]*)", text[start:])
    return match.group(1) if match else ""


def _starts_sentence(word: str) -> bool:
    if not word:
        return False
    first = word[0]
    return first.isupper() or first.isdigit() or bool(_CJK_CHAR.match(first))


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    """Whether the terminator at `match` ends a sentence."""
    end = match.end()
    terminator = match.group(0)
    if end >= len(text):
        return True
    if terminator[0] in _CJK_END:
        return True
    if not text[end].isspace():
        return False  # "3.5", "U.S.-led", "example.com"
    following = text[end:]
    next_char = following.lstrip()[:1]
    if next_char and next_char in _QUOTE_OPEN:
        word = _next_word(text, end)
    else:
        word = following.split(None, 1)[0] if following.strip() else ""
    if not _starts_sentence(word) and not (next_char and next_char in _QUOTE_OPEN):
        return False  # "e.g. something", "? he asked", "… and then"
    if terminator[0] != ".":
        return True  # ! ? … end a sentence before a capital
    if len(terminator.rstrip(_QUOTE_CLOSE)) > 1:
        return True  # "..." before a capital
    if terminator != terminator.rstrip(_QUOTE_CLOSE):
        return True  # `said." Next`
    before = text[: match.start()]
    found = _WORD_BEFORE.search(before)
    if not found:
        # After a number: "in 2024. The" ends, "am 7. Januar" does not.
        day = re.search(r"(?<!\d)\d{1,2}$", before)
        return not (day and word.lower().strip(",") in _GERMAN_MONTHS)
    token = found.group(1)
    lowered = token.lower().rstrip(".")
    bare = lowered.split(".")[-1] if "." in lowered and lowered not in _MAYBE_FINAL else lowered
    if len(token) == 1 and token.isupper():
        return False  # an initial: "J. Smith", "В. Зеленський"
    if lowered in _MAYBE_FINAL:
        return word.lower().strip(_QUOTE_OPEN) in _OPENERS or (
            lowered in ("a.m", "p.m") and word[:1].isupper()
        )
    if "." in token and all(len(part) <= 2 for part in lowered.split(".") if part):
        # Dotted initials like "J.R.R." or "т.е": mid-sentence unless an opener follows.
        return word.lower() in _OPENERS
    if lowered in _MONTHS or bare in _MONTHS:
        return not word[:1].isdigit()
    return lowered not in _TITLES and bare not in _TITLES


def _split_line(line: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _CANDIDATE.finditer(line):
        if _is_boundary(line, match):
            sentence = line[start : match.end()].strip()
            if sentence:
                sentences.append(sentence)
            start = match.end()
    rest = line[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def split_sentences(text: str, language: str = "") -> list[str]:
    """The sentences of `text`, in order, whitespace inside each collapsed. A line break
    always ends a sentence. `language` (ISO 639-1) is a hint; the rules cover the
    languages newspaper4k has stop words for (Latin, Cyrillic and CJK scripts)."""
    sentences: list[str] = []
    for line in re.split(r"\s*\n\s*", text or ""):
        line = re.sub(r"\s+", " ", line).strip()
        if line:
            sentences.extend(_split_line(line))
    return sentences
