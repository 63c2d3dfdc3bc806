"""Word forms: the keys under which a word is indexed and looked up.

Two words match when they share a key. Keys:
- ``w:<folded>``       the word itself (every language);
- ``<lang>:<form>``    its base form in a language: the Snowball stem for Latin-script
                       languages (PyStemmer), every pymorphy3 lemma for Ukrainian and Russian;
- ``e:<base>``         the word minus a demonym/adjective suffix (Ukrain|ian, Росі|йський),
                       looked up only for place names (see `demonym_keys`).
Acronyms use ``A:<as written>`` (case-sensitive) and are made in `matching`.
"""

from __future__ import annotations

from functools import cache, lru_cache

import Stemmer

from digests.topics.words import fold

# Story languages with a Snowball stemmer, by ISO 639-1 code.
SNOWBALL = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
    "sv": "swedish",
    "da": "danish",
    "no": "norwegian",
    "nb": "norwegian",
    "fi": "finnish",
    "ro": "romanian",
    "hu": "hungarian",
    "tr": "turkish",
    "pl": "polish",
    "cs": "czech",
    "lt": "lithuanian",
    "id": "indonesian",
    "ca": "catalan",
    "ga": "irish",
}
LATIN_DEFAULT = "en"
CYRILLIC = ("uk", "ru")

# Suffixes that turn a place name into its people or adjective (Ukrain-ian, Chin-ese,
# Israel-i, Russia-n), for Latin letters and for Ukrainian/Russian lemmas.
LATIN_DEMONYM_SUFFIXES = (
    "ians",
    "ian",
    "eans",
    "ean",
    "ans",
    "an",
    "ns",
    "n",
    "ese",
    "ish",
    "is",
    "i",
    "ic",
    "ics",
    "iots",
    "iot",
)
CYRILLIC_DEMONYM_SUFFIXES = (
    "ський",
    "йський",
    "ець",
    "ці",
    "ка",
    "ский",
    "йский",
    "ец",
    "цы",
)
_VOWELS = frozenset("aeiouyаеиоуяюієїыэ")
MIN_DEMONYM_BASE = 4


@cache
def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer(algorithm)
    stemmer.maxCacheSize = 100_000
    return stemmer


@cache
def _morph(lang: str):
    # Loaded lazily, once per process: pymorphy3 dictionaries take a moment and memory.
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=lang)


@lru_cache(maxsize=200_000)
def lemmas(folded: str, lang: str) -> tuple[str, ...]:
    """Every dictionary form pymorphy3 gives for a Ukrainian or Russian word."""
    forms: list[str] = []
    for parse in _morph(lang).parse(folded):
        form = parse.normal_form.replace("ё", "е")
        if form not in forms:
            forms.append(form)
    return tuple(forms) or (folded,)


@lru_cache(maxsize=400_000)
def language_keys(folded: str, lang: str, cyrillic: bool) -> tuple[str, ...]:
    """The base-form keys of one folded word in one language ('' if none apply)."""
    if cyrillic:
        if lang not in CYRILLIC:
            return ()
        return tuple(f"{lang}:{form}" for form in lemmas(folded, lang))
    algorithm = SNOWBALL.get(lang)
    if algorithm is None:
        return ()
    keys = []
    if "snowball" in LATIN_FORMS:
        keys.append(f"{lang}:{_stemmer(algorithm).stemWord(folded)}")
    if "simplemma" in LATIN_FORMS:
        keys.append(f"{lang}:{_lemma(folded, lang)}")
    return tuple(dict.fromkeys(keys))


# Which base forms Latin-script words get. Measured on the labelled set: Snowball stems
# precision 0.978 / recall 1.000; simplemma lemmas 0.899 / 0.985 (it maps "ai" and "is" to
# "be", so `ai` matched a dozen stories). Snowball it is; simplemma stays selectable.
LATIN_FORMS = ("snowball",)


def _lemma(folded: str, lang: str) -> str:
    import simplemma

    try:
        return fold(simplemma.lemmatize(folded, lang=lang))
    except ValueError:  # a language simplemma does not know
        return folded


@cache
def stopwords(lang: str) -> frozenset[str]:
    """Function words of a language (newspaper4k's lists, the lower-case entries: the lists
    also hold some names such as "Deutschland"), folded; empty if none."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("newspaper")  # located, not imported: that is slow
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    folder = Path(next(iter(spec.submodule_search_locations)))
    try:
        text = (folder / "resources" / "text" / f"stopwords-{lang}.txt").read_text("utf-8")
    except OSError:
        return frozenset()
    words = (line.strip() for line in text.splitlines())
    return frozenset(fold(word) for word in words if word and word == word.lower())


@lru_cache(maxsize=400_000)
def story_demonym_keys(folded: str, lang: str, cyrillic: bool) -> tuple[str, ...]:
    """``e:`` keys of a story word: the word with a demonym suffix taken off."""
    keys: list[str] = []
    if cyrillic:
        if lang not in CYRILLIC:
            return ()
        for form in lemmas(folded, lang):
            for suffix in CYRILLIC_DEMONYM_SUFFIXES:
                if form.endswith(suffix) and len(form) - len(suffix) >= MIN_DEMONYM_BASE:
                    keys.append("e:" + form[: -len(suffix)])
    else:
        for suffix in LATIN_DEMONYM_SUFFIXES:
            if folded.endswith(suffix) and len(folded) - len(suffix) >= MIN_DEMONYM_BASE:
                keys.append("e:" + folded[: -len(suffix)])
    return tuple(dict.fromkeys(keys))


def demonym_keys(bases: tuple[str, ...], *, typed: bool = True) -> tuple[str, ...]:
    """``e:`` keys to look up for a place name given its folded forms/lemmas: the name
    itself and the name without its final vowel (Ukrain-e, Chin-a, Ital-y), so that
    Ukrainian, Chinese, Italian, Russian, Israeli meet Ukraine, China, Italy, Russia, Israel.
    Only for place names of four letters or more, never for ordinary words. `typed`: the
    name as the person typed it (not another language's name for the place)."""
    keys: list[str] = []
    for base in bases:
        if len(base) < MIN_DEMONYM_BASE:
            continue
        keys.append("e:" + base)
        if base[-1] in _VOWELS and len(base) - 1 >= MIN_DEMONYM_BASE:
            keys.append("e:" + base[:-1])
            # Germany -> German(s): the name without its final -y is itself the word.
            if base[-1] == "y" and typed:
                keys.append("w:" + base[:-1])
                keys.append("w:" + base[:-1] + "s")
    return tuple(dict.fromkeys(keys))
