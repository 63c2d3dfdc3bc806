"""Topic queries: what a person types after /topic, parsed into words, phrases and groups.

Grammar (forgiving; anything unreadable is dropped, never an exception):
- ``ukraine grain``            every word must appear (AND);
- ``"coalition of the willing"``  a phrase: words adjacent and in this order;
- ``ukraine OR kyiv``          either side (also ``or``, ``|``, ``або``, ``или``). OR binds
                                looser than AND: ``a b OR c`` is (a AND b) OR c;
- ``-football``                 excludes stories with that word, whatever group it is
                                written in (exclusions apply to the whole topic);
- ``=ukraine``                  that word and its inflections only: no other names of the
                                place (Kyiv, Україна) and no demonyms (Ukrainian);
- ``US``, ``EU``, ``NATO``      two to four capitals: that acronym as written (also U.S.),
                                not the ordinary word "us".
A single place word (``ukraine``, ``germany``) also brings the place's other names (see
`places`); a group whose words together name a place (``united states``) too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from digests.topics.forms import CYRILLIC, demonym_keys, lemmas
from digests.topics.places import Alias, find_place, is_place_word
from digests.topics.words import fold, normalize_text, tokenize

MAX_TOPICS_PER_SUBSCRIBER = 20
MAX_TOPIC_CHARS = 100

_EXAMPLE = 'for example "ukraine", "ukraine grain", "ukraine OR kyiv" or "ukraine -football"'
_OR_WORDS = frozenset({"OR", "or", "Or", "|", "||", "або", "АБО", "или", "ИЛИ"})
_QUOTES = str.maketrans(dict.fromkeys("“”„‟«»〝〞＂″", '"'))
_MINUS = "-−–—"
_CHUNK = re.compile(r'([-−–—+=]*)"([^"]*)"|([^\s"]+)|"')
_ACRONYM = re.compile(r"(?:[^\W\d_]\.?){2,4}")


class QueryError(ValueError):
    """A topic that cannot be used; the message says what is wrong and gives an example."""


@dataclass(frozen=True)
class Term:
    """A word or a phrase of a topic."""

    words: tuple[str, ...]  # folded words; the acronym as written for an acronym
    display: str
    acronym: bool = False
    exact: bool = False
    # `e:` keys that find demonyms of a place word (Ukrainian for ukraine).
    demonyms: tuple[str, ...] = field(default=(), repr=False)
    # Other names of the place this term names (Kyiv, Україна for ukraine).
    aliases: tuple[Alias, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Group:
    """Terms that must all appear (AND); `aliases` each satisfy the group alone."""

    terms: tuple[Term, ...]
    aliases: tuple[Alias, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Query:
    """A parsed topic. `text` is its normalized display form (used to compare topics)."""

    text: str
    groups: tuple[Group, ...] = ()
    excludes: tuple[Term, ...] = ()


def _name_candidates(words: tuple[str, ...]) -> tuple[str, ...]:
    """Folded names a word sequence could be, with dictionary forms of a Cyrillic word
    (України -> україна)."""
    candidates = [" ".join(words)]
    if len(words) == 1 and any("\u0400" <= ch <= "\u052f" for ch in words[0]):
        for lang in CYRILLIC:
            candidates += lemmas(words[0], lang)
    return tuple(dict.fromkeys(candidates))


def _word_term(words: tuple[str, ...], display: str, *, exact: bool, quoted: bool) -> Term:
    if exact:
        return Term(words, "=" + display, exact=True)
    candidates = _name_candidates(words)
    place = find_place(candidates)
    aliases = place.aliases if place is not None else ()
    demonyms: tuple[str, ...] = ()
    if len(words) == 1 and not quoted and is_place_word(candidates):
        demonyms = demonym_keys(candidates)
        # The place's people and adjectives in other languages too (ukraine: українські).
        merged = dict.fromkeys(demonyms)
        for alias in aliases:
            merged.update(dict.fromkeys(alias.demonyms))
        demonyms = tuple(merged)
    return Term(words, display, demonyms=demonyms, aliases=aliases)


def _term_from_chunk(chunk: str, *, exact: bool, quoted: bool) -> Term | None:
    bare = chunk.strip(".,;:!?¡¿…'’\"()[]{}<>*#@~^&%$/\\_")
    if bare and not quoted and _ACRONYM.fullmatch(bare) and bare.replace(".", "").isupper():
        letters = bare.replace(".", "")
        if 2 <= len(letters) <= 4:
            return Term((letters,), letters, acronym=True, exact=exact)
    tokens = tokenize(normalize_text(chunk))
    if not tokens:
        return None
    words = tuple(t.folded for t in tokens)
    display_words = " ".join(t.core.lower() for t in tokens)
    display = f'"{display_words}"' if len(tokens) > 1 else display_words
    return _word_term(words, display, exact=exact, quoted=quoted and len(tokens) > 1)


def _group(terms: list[Term]) -> Group:
    aliases: tuple[Alias, ...] = ()
    plain = [t for t in terms if not t.acronym and not t.exact]
    if len(terms) > 1 and len(plain) == len(terms) and all(len(t.words) == 1 for t in terms):
        # Several words that together name a place: "united states" also finds Washington.
        place = find_place((" ".join(t.words[0] for t in terms),))
        if place is not None:
            aliases = place.aliases
    return Group(tuple(terms), aliases)


def _display(groups: list[list[Term]], excludes: list[Term]) -> str:
    parts = [" ".join(t.display for t in group) for group in groups]
    text = " OR ".join(parts)
    if excludes:
        text += " " + " ".join("-" + t.display for t in excludes)
    return text


@lru_cache(maxsize=8192)
def parse_query(text: str) -> Query:
    """Parse what a person typed as a topic. Raises QueryError (only) when nothing usable
    remains: empty, only punctuation, or only exclusions."""
    if not isinstance(text, str):
        raise QueryError(f"A topic must be text, {_EXAMPLE}.")
    cleaned = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    cleaned = "".join(ch if ch.isprintable() else " " for ch in cleaned)
    if cleaned.count('"') % 2:  # a stray quote: drop the last one
        cut = cleaned.rfind('"')
        cleaned = cleaned[:cut] + " " + cleaned[cut + 1 :]

    groups: list[list[Term]] = [[]]
    excludes: list[Term] = []
    for match in _CHUNK.finditer(cleaned):
        prefix, phrase, bare = match.group(1), match.group(2), match.group(3)
        if phrase is None and bare is None:
            continue  # a lone quote
        if bare is not None:
            if bare in _OR_WORDS:
                groups.append([])
                continue
            stripped = bare.lstrip(_MINUS + "+=")
            prefix, chunk, quoted = bare[: len(bare) - len(stripped)], stripped, False
        else:
            chunk, quoted = phrase, True
        exclude = any(ch in _MINUS for ch in prefix)
        term = _term_from_chunk(chunk, exact="=" in prefix, quoted=quoted)
        if term is None:
            continue
        if exclude:
            if term.words not in {t.words for t in excludes}:
                excludes.append(term)
        elif term not in groups[-1]:
            groups[-1].append(term)

    groups = [g for g in groups if g]
    if not groups:
        if excludes:
            shown = " ".join("-" + t.display for t in excludes)
            raise QueryError(
                f'The topic "{shown}" only excludes words: add a word to follow, '
                f'for example "ukraine {shown}".'
            )
        raise QueryError(f"The topic has no words to look for: type a word or two, {_EXAMPLE}.")
    unique: list[list[Term]] = []
    for group in groups:
        if group not in unique:
            unique.append(group)
    return Query(
        text=_display(unique, excludes),
        groups=tuple(_group(g) for g in unique),
        excludes=tuple(excludes),
    )


def check_new_topic(existing: Sequence[str], text: str) -> Query:
    """Parse a topic a subscriber wants to add to the ones they have, within the limits:
    at most MAX_TOPICS_PER_SUBSCRIBER topics, MAX_TOPIC_CHARS characters each, no duplicate
    (compared in normalized form). Raises QueryError saying which limit and what to do."""
    stripped = (text or "").strip()
    if len(stripped) > MAX_TOPIC_CHARS:
        raise QueryError(
            f"A topic can be at most {MAX_TOPIC_CHARS} characters; this one has "
            f"{len(stripped)}. Shorten it, {_EXAMPLE}."
        )
    if len(existing) >= MAX_TOPICS_PER_SUBSCRIBER:
        raise QueryError(
            f"You already follow {len(existing)} topics, the most allowed is "
            f"{MAX_TOPICS_PER_SUBSCRIBER}: remove one before adding another."
        )
    query = parse_query(stripped)
    for old in existing:
        try:
            old_text = parse_query(old).text
        except QueryError:
            old_text = old.strip()
        if fold(old_text) == fold(query.text):
            raise QueryError(f'You already follow "{query.text}".')
    return query
