"""Matching topics against stories.

`analyze_story` does the costly part once per story: every word is tokenized, folded and
given its keys (see `forms`), and the story becomes an index key -> positions. Matching a
query is then a few dictionary look-ups per word; a phrase checks that positions follow
each other.

When a story matches (measured on tests/topics/data/stories.json):
- a hit in the title or the summary (feed description + summary sentences) always counts;
- a hit only in the body counts when the word is there at least BODY_MIN_HITS times: a
  long article naming Ukraine once in passing (or a "read more" teaser under it) is not a
  story about Ukraine.
For a group of words (AND) every word must appear somewhere and at least one of them must
be that strong. Score: per matched word, for each field where it appears,
FIELD_WEIGHTS[field] * (2 - 1/occurrences): more occurrences score more, but never lift a
field above the next one up (a title hit outweighs any number of summary hits); the best
matching group counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from digests.topics.forms import (
    CYRILLIC,
    LATIN_DEFAULT,
    SNOWBALL,
    language_keys,
    stopwords,
    story_demonym_keys,
)
from digests.topics.places import Alias
from digests.topics.query import Group, Query, Term
from digests.topics.words import (
    cyrillic_languages,
    is_acronym,
    is_title_case,
    normalize_text,
    tokenize,
)

TITLE, SUMMARY, BODY = 0, 1, 2
FIELD_WEIGHTS = (4.0, 2.0, 1.0)
BODY_MIN_HITS = 3
# Words of a field beyond this are not indexed (positions are packed field << 20 | pos).
MAX_FIELD_WORDS = 50_000
_SHIFT = 20

_CAPITALISED = 1  # first letter upper-case
_NAME_LIKE = 2  # capitalised where that says it is a name: mid-sentence, not a Title Case line
_BEFORE_ORG_WORD = 4  # followed by Post, Times...: "Washington Post" is a newspaper
# Words after a place name that make it a newspaper's or a team's name.
ORG_WORDS = frozenset(
    {
        "post",
        "times",
        "journal",
        "examiner",
        "herald",
        "tribune",
        "chronicle",
        "gazette",
        "nationals",
        "capitals",
        "wizards",
        "commanders",
        "mystics",
        "redskins",
        "spirit",
        "huskies",
        "free",
        "monthly",
        "bureau",
    }
)


@dataclass(frozen=True)
class StoryText:
    """The text of a story to match topics against."""

    title: str
    summary: str = ""  # feed description + summary sentences
    body: str = ""
    language: str = ""  # ISO 639-1 if known


@dataclass(frozen=True)
class TopicMatch:
    score: float  # title > summary > body; more occurrences > fewer
    matched: tuple[str, ...]  # the story's words that matched, as written there, each once


@dataclass(frozen=True, eq=False)
class _Field:
    text: str
    spans: tuple[tuple[int, int], ...]
    flags: bytes


@dataclass(frozen=True, eq=False)
class AnalyzedStory:
    """A story's words indexed by key, ready to be matched against many queries."""

    story: StoryText
    languages: tuple[str, ...]
    index: dict[str, tuple[int, ...]] = field(repr=False)
    fields: tuple[_Field, ...] = field(repr=False)


@lru_cache(maxsize=400_000)
def _story_word_keys(folded: str, cyrillic: bool, languages: tuple[str, ...]) -> tuple[str, ...]:
    keys = ["w:" + folded]
    for lang in languages:
        keys += language_keys(folded, lang, cyrillic)
        keys += story_demonym_keys(folded, lang, cyrillic)
    return tuple(dict.fromkeys(keys))


def _languages(story: StoryText, texts: list[str]) -> tuple[str, ...]:
    language = (story.language or "").lower()[:2]
    latin = language if language in SNOWBALL else LATIN_DEFAULT
    if language in CYRILLIC:
        cyrillic: tuple[str, ...] = (language,)
    elif any("\u0400" <= ch <= "\u04ff" for text in texts for ch in text):
        cyrillic = cyrillic_languages("".join(texts))
    else:
        cyrillic = ()
    return (latin, *cyrillic)


def analyze_story(story: StoryText) -> AnalyzedStory:
    """Index a story's title, summary and body for matching (done once per story)."""
    texts = [normalize_text(t or "") for t in (story.title, story.summary, story.body)]
    languages = _languages(story, texts)
    latin_languages = tuple(lang for lang in languages if lang not in CYRILLIC)
    cyrillic_langs = tuple(lang for lang in languages if lang in CYRILLIC)
    index: dict[str, list[int]] = defaultdict(list)
    fields: list[_Field] = []
    # Function words of a story in another language than English ("war" = was, "die" = the
    # in German) are found only inside phrases, never as a topic word on their own.
    foreign_stopwords = (
        stopwords(latin_languages[0]) if latin_languages[0] != LATIN_DEFAULT else frozenset()
    )
    for number, text in enumerate(texts):
        tokens = tokenize(text)[:MAX_FIELD_WORDS]
        title_case = is_title_case(tokens)
        flags = bytearray(len(tokens))
        base = number << _SHIFT
        for pos, token in enumerate(tokens):
            code = base + pos
            langs = cyrillic_langs if token.cyrillic else latin_languages
            if not token.cyrillic and token.folded in foreign_stopwords:
                index["t:" + token.folded].append(code)
            else:
                for key in _story_word_keys(token.folded, token.cyrillic, langs):
                    index[key].append(code)
            core = token.core
            if is_acronym(core):
                index["A:" + core].append(code)
            elif len(core) == 4 and token.capitalised and core[1:].islower():
                index["A:" + core.upper()].append(code)  # Nato, Opec (Guardian style)
            if token.capitalised:
                flag = _CAPITALISED
                if not token.sentence_start and not title_case:
                    flag |= _NAME_LIKE
                if pos + 1 < len(tokens):
                    following = tokens[pos + 1]
                    if following.capitalised and following.folded in ORG_WORDS:
                        flag |= _BEFORE_ORG_WORD
                flags[pos] = flag
        fields.append(_Field(text, tuple((t.start, t.end) for t in tokens), bytes(flags)))
    return AnalyzedStory(
        story=story,
        languages=languages,
        index={key: tuple(codes) for key, codes in index.items()},
        fields=tuple(fields),
    )


@lru_cache(maxsize=100_000)
def _query_word_keys(word: str, languages: tuple[str, ...]) -> tuple[str, ...]:
    cyrillic = any("\u0400" <= ch <= "\u052f" for ch in word)
    keys = ["w:" + word]
    for lang in languages:
        keys += language_keys(word, lang, cyrillic)
    return tuple(dict.fromkeys(keys))


def _positions(word: str, story: AnalyzedStory, *, in_phrase: bool = False) -> set[int]:
    index = story.index
    found: set[int] = set(index.get("t:" + word, ())) if in_phrase else set()
    for key in _query_word_keys(word, story.languages):
        codes = index.get(key)
        if codes:
            found.update(codes)
    return found


def _sequence_hits(words: tuple[str, ...], story: AnalyzedStory) -> list[tuple[int, int]]:
    """(position, length) of each place where the words occur adjacent and in order."""
    if len(words) == 1:
        return [(code, 1) for code in _positions(words[0], story)]
    first = _positions(words[0], story, in_phrase=True)
    if not first:
        return []
    rest = []
    for word in words[1:]:
        found = _positions(word, story, in_phrase=True)
        if not found:
            return []
        rest.append(found)
    return [
        (code, len(words))
        for code in first
        if all(code + offset in found for offset, found in enumerate(rest, start=1))
    ]


def _flags(story: AnalyzedStory, code: int) -> int:
    return story.fields[code >> _SHIFT].flags[code & ((1 << _SHIFT) - 1)]


_AliasTable = tuple[tuple[Alias, ...], tuple[tuple[str, Alias], ...], tuple[Alias, ...]]
_ALIAS_TABLES: dict[tuple[int, tuple[str, ...]], _AliasTable] = {}


def _alias_table(aliases: tuple[Alias, ...], languages: tuple[str, ...]) -> _AliasTable:
    """The look-up keys of a place's one-word names in the story's languages, and its
    longer names. Cached per alias tuple: those are shared by every query naming the place."""
    cache_key = (id(aliases), languages)
    table = _ALIAS_TABLES.get(cache_key)
    if table is None or table[0] is not aliases:
        single: dict[str, Alias] = {}
        for alias in aliases:
            if len(alias.words) == 1:
                word = alias.words[0]
                # Other names are matched as written (plus Ukrainian/Russian inflections:
                # Києві, Киеве), not stemmed: a stem could meet an unrelated word.
                cyrillic = any("\u0400" <= ch <= "\u052f" for ch in word)
                keys = _query_word_keys(word, languages) if cyrillic else ("w:" + word,)
                for key in keys:
                    known = single.get(key)
                    if known is None or (known.common_word and not alias.common_word):
                        single[key] = alias
        multi = tuple(alias for alias in aliases if len(alias.words) > 1)
        if len(_ALIAS_TABLES) > 10_000:
            _ALIAS_TABLES.clear()
        table = (aliases, tuple(single.items()), multi)
        _ALIAS_TABLES[cache_key] = table
    return table


def _alias_hits(aliases: tuple[Alias, ...], story: AnalyzedStory) -> list[tuple[int, int]]:
    hits = []
    _, single, multi = _alias_table(aliases, story.languages)
    index = story.index
    found: list[tuple[Alias, int, int]] = []
    seen: set[int] = set()
    for key, alias in single:
        codes = index.get(key)
        if codes:
            for code in codes:
                if code not in seen:
                    seen.add(code)
                    found.append((alias, code, 1))
    for alias in multi:
        found += [(alias, code, length) for code, length in _sequence_hits(alias.words, story)]
    for alias, code, length in found:
        need = _CAPITALISED | (_NAME_LIKE if alias.common_word else 0)
        if _flags(story, code) & need != need:
            continue  # "male", "Male Nurses Strike": not the capital of the Maldives
        if _flags(story, code + length - 1) & _BEFORE_ORG_WORD:
            continue  # "Washington Post"
        hits.append((code, length))
    return hits


def _term_hits(term: Term, story: AnalyzedStory) -> list[tuple[int, int]]:
    if term.acronym:
        return [(code, 1) for code in story.index.get("A:" + term.words[0], ())]
    hits = _sequence_hits(term.words, story)
    if term.demonyms:
        seen = {code for code, _ in hits}
        for key in term.demonyms:
            for code in story.index.get(key, ()):
                if code not in seen:
                    seen.add(code)
                    hits.append((code, 1))
    if term.aliases:
        hits += _alias_hits(term.aliases, story)
    return hits


def _counts(hits: list[tuple[int, int]]) -> list[int]:
    counts = [0, 0, 0]
    for code, _ in hits:
        counts[code >> _SHIFT] += 1
    return counts


def _strong(counts: list[int]) -> bool:
    return counts[TITLE] > 0 or counts[SUMMARY] > 0 or counts[BODY] >= BODY_MIN_HITS


def _score(counts: list[int]) -> float:
    return sum(
        weight * (2.0 - 1.0 / count)
        for weight, count in zip(FIELD_WEIGHTS, counts, strict=True)
        if count
    )


def _group_hits(group: Group, story: AnalyzedStory) -> tuple[float, list] | None:
    """(score, hits) when the group matches the story."""
    if group.aliases:
        hits = _alias_hits(group.aliases, story)
        counts = _counts(hits)
        if hits and _strong(counts):
            return _score(counts), hits
    all_hits: list[tuple[int, int]] = []
    score = 0.0
    strong = False
    for term in group.terms:
        hits = _term_hits(term, story)
        if not hits:
            return None
        counts = _counts(hits)
        strong = strong or _strong(counts)
        score += _score(counts)
        all_hits += hits
    if not strong:
        return None
    return score, all_hits


def _surface(story: AnalyzedStory, code: int, length: int) -> str:
    data = story.fields[code >> _SHIFT]
    pos = code & ((1 << _SHIFT) - 1)
    return data.text[data.spans[pos][0] : data.spans[pos + length - 1][1]]


def match_story(query: Query, story: StoryText | AnalyzedStory) -> TopicMatch | None:
    """How well a story matches a topic, or None when it does not."""
    analyzed = story if isinstance(story, AnalyzedStory) else analyze_story(story)
    for term in query.excludes:
        if _term_hits(term, analyzed):
            return None
    best = 0.0
    hits: list[tuple[int, int]] = []
    for group in query.groups:
        found = _group_hits(group, analyzed)
        if found is not None:
            best = max(best, found[0])
            hits += found[1]
    if not hits:
        return None
    matched: dict[str, str] = {}
    for code, length in sorted(set(hits)):
        surface = _surface(analyzed, code, length)
        matched.setdefault(surface.casefold(), surface)
    return TopicMatch(score=round(best, 3), matched=tuple(matched.values()))
