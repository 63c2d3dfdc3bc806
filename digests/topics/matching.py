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

Only the opening of a story is analyzed: at most MAX_BODY_WORDS words of the body (and
bounded title and summary, see FIELD_WORD_LIMITS). A news story names its subject in its
lead; what comes after word 500 is background, quotes and "read more" boxes, and a topic
only named there is rarely what the story is about. It halves the work per story (a typical
article is 800-1,000 words) and bounds what an analyzed story keeps in memory, which the bot
holds for every cluster of the day (about 10 KB each, against about 240 KB for a full
1,000-word body with per-key tuples). The labelled set (tests/topics) matches the same.
"""

from __future__ import annotations

import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
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
    word_end,
)

TITLE, SUMMARY, BODY = 0, 1, 2
FIELD_WEIGHTS = (4.0, 2.0, 1.0)
BODY_MIN_HITS = 3
# The words of each field analyzed, at most (title, summary, body): see the module docstring.
# A title is a line and a summary a paragraph or three sentences; more than that is a body
# pasted into a feed's title or description.
MAX_BODY_WORDS = 500
FIELD_WORD_LIMITS = (100, 300, MAX_BODY_WORDS)
# Only this many characters of a body are read (a loader may fetch just this much of a
# stored text): enough for MAX_BODY_WORDS words in any language (words average 5-8
# characters with their space), and a huge body costs no more than a long one.
MAX_BODY_CHARS = MAX_BODY_WORDS * 16

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


@dataclass(frozen=True, eq=False, slots=True)
class AnalyzedStory:
    """A story's words indexed by key, ready to be matched against many queries.

    Compact: words are numbered across the fields (title, then summary, then body);
    `keys` is sorted and the positions of keys[i] are postings[offsets[i]:offsets[i + 1]].
    The analyzed text is kept (UTF-8, zlib-compressed: under half the size; the fields
    joined by a line break, the body cut after its last analyzed word) only to quote the
    words that matched (`match_story`; `match_score` does without)."""

    languages: tuple[str, ...]
    text: bytes
    bounds: tuple[int, int]  # the first position of the summary, and of the body
    keys: tuple[str, ...]
    offsets: array
    postings: array
    starts: array  # where each word starts in `text`
    flags: bytes  # per word: _CAPITALISED | _NAME_LIKE | _BEFORE_ORG_WORD

    def codes(self, key: str) -> array | tuple[()]:
        """The positions of `key` (empty when the story does not have it)."""
        keys = self.keys
        i = bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            return self.postings[self.offsets[i] : self.offsets[i + 1]]
        return ()

    def field(self, code: int) -> int:
        """TITLE, SUMMARY or BODY: where the word at position `code` is."""
        return TITLE if code < self.bounds[0] else SUMMARY if code < self.bounds[1] else BODY


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


@lru_cache(maxsize=50_000)
def _phrase_only_keys(folded: str) -> tuple[str, ...]:
    return ("t:" + folded,)


def _typecode(largest: int) -> str:
    return "H" if largest < 1 << 16 else "I"


def analyze_story(story: StoryText) -> AnalyzedStory:
    """Index a story's title, summary and the opening of its body for matching (done once
    per story; see MAX_BODY_WORDS)."""
    body = story.body or ""
    cut = len(body) > MAX_BODY_CHARS
    texts = [normalize_text(t or "") for t in (story.title, story.summary, body[:MAX_BODY_CHARS])]
    languages = _languages(story, texts)
    latin_languages = tuple(lang for lang in languages if lang not in CYRILLIC)
    cyrillic_langs = tuple(lang for lang in languages if lang in CYRILLIC)
    # Positions of each distinct key tuple (one per word form: the tuples come from caches,
    # so `id` identifies them while they are held here), and of each acronym key.
    by_keys: dict[int, tuple[tuple[str, ...], list[int]]] = {}
    extra: dict[str, list[int]] = {}
    flags = bytearray()
    starts: list[int] = []
    pieces: list[str] = []
    bounds: list[int] = []
    offset = 0  # of the current field in the joined text
    # Function words of a story in another language than English ("war" = was, "die" = the
    # in German) are found only inside phrases, never as a topic word on their own.
    foreign_stopwords = (
        stopwords(latin_languages[0]) if latin_languages[0] != LATIN_DEFAULT else frozenset()
    )
    for number, text in enumerate(texts):
        tokens = tokenize(text, FIELD_WORD_LIMITS[number])
        if number == BODY and tokens:
            if cut and tokens[-1].end == len(text):
                tokens.pop()  # a word the cut may have split
            text = text[: tokens[-1].end] if tokens else ""  # only what was analyzed is quoted
        if number:
            bounds.append(len(starts))
        title_case = is_title_case(tokens)
        base = len(starts)
        for pos, token in enumerate(tokens):
            code = base + pos
            if not token.cyrillic and token.folded in foreign_stopwords:
                keys = _phrase_only_keys(token.folded)
            else:
                langs = cyrillic_langs if token.cyrillic else latin_languages
                keys = _story_word_keys(token.folded, token.cyrillic, langs)
            entry = by_keys.get(id(keys))
            if entry is None:
                by_keys[id(keys)] = (keys, [code])
            else:
                entry[1].append(code)
            core = token.core
            if is_acronym(core):
                extra.setdefault("A:" + core, []).append(code)
            elif len(core) == 4 and token.capitalised and core[1:].islower():
                extra.setdefault("A:" + core.upper(), []).append(code)  # Nato, Opec
            flag = 0
            if token.capitalised:
                flag = _CAPITALISED
                if not token.sentence_start and not title_case:
                    flag |= _NAME_LIKE
                if pos + 1 < len(tokens):
                    following = tokens[pos + 1]
                    if following.capitalised and following.folded in ORG_WORDS:
                        flag |= _BEFORE_ORG_WORD
            flags.append(flag)
            starts.append(offset + token.start)
        pieces.append(text)
        offset += len(text) + 1  # the line break joining the fields
    index: dict[str, list[int]] = extra
    for keys, codes in by_keys.values():
        for key in keys:
            known = index.get(key)
            if known is None:
                index[key] = codes
            elif known is codes:
                continue
            else:
                index[key] = known + codes
    sorted_keys = tuple(sorted(index))
    postings: list[int] = []
    offsets = [0]
    for key in sorted_keys:
        postings += index[key]
        offsets.append(len(postings))
    joined = "\n".join(pieces)
    count = len(starts)
    return AnalyzedStory(
        languages=languages,
        text=zlib.compress(joined.encode(), 6),
        bounds=(bounds[0], bounds[1]),
        keys=sorted_keys,
        offsets=array(_typecode(len(postings)), offsets),
        postings=array(_typecode(count), postings),
        starts=array(_typecode(len(joined)), starts),
        flags=bytes(flags),
    )


@lru_cache(maxsize=100_000)
def _query_word_keys(word: str, languages: tuple[str, ...]) -> tuple[str, ...]:
    cyrillic = any("\u0400" <= ch <= "\u052f" for ch in word)
    keys = ["w:" + word]
    for lang in languages:
        keys += language_keys(word, lang, cyrillic)
    return tuple(dict.fromkeys(keys))


def _positions(word: str, story: AnalyzedStory, *, in_phrase: bool = False) -> set[int]:
    codes = story.codes
    found: set[int] = set(codes("t:" + word)) if in_phrase else set()
    for key in _query_word_keys(word, story.languages):
        found.update(codes(key))
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
    last = len(words) - 1
    return [
        (code, len(words))
        for code in first
        if all(code + offset in found for offset, found in enumerate(rest, start=1))
        and story.field(code) == story.field(code + last)  # a phrase stays in one field
    ]


def _flags(story: AnalyzedStory, code: int) -> int:
    return story.flags[code]


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
    # The story's key look-up (`AnalyzedStory.codes`) inlined: a place has dozens of names.
    keys, offsets, postings = story.keys, story.offsets, story.postings
    size = len(keys)
    found: list[tuple[Alias, int, int]] = []
    seen: set[int] = set()
    for key, alias in single:
        i = bisect_left(keys, key)
        if i < size and keys[i] == key:
            for code in postings[offsets[i] : offsets[i + 1]]:
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
        return [(code, 1) for code in story.codes("A:" + term.words[0])]
    hits = _sequence_hits(term.words, story)
    if term.demonyms:
        seen = {code for code, _ in hits}
        for key in term.demonyms:
            for code in story.codes(key):
                if code not in seen:
                    seen.add(code)
                    hits.append((code, 1))
    if term.aliases:
        hits += _alias_hits(term.aliases, story)
    return hits


def _counts(hits: list[tuple[int, int]], story: AnalyzedStory) -> list[int]:
    counts = [0, 0, 0]
    summary, body = story.bounds
    for code, _ in hits:
        counts[TITLE if code < summary else SUMMARY if code < body else BODY] += 1
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
        counts = _counts(hits, story)
        if hits and _strong(counts):
            return _score(counts), hits
    all_hits: list[tuple[int, int]] = []
    score = 0.0
    strong = False
    for term in group.terms:
        hits = _term_hits(term, story)
        if not hits:
            return None
        counts = _counts(hits, story)
        strong = strong or _strong(counts)
        score += _score(counts)
        all_hits += hits
    if not strong:
        return None
    return score, all_hits


def _surface(story: AnalyzedStory, text: str, code: int, length: int) -> str:
    return text[story.starts[code] : word_end(text, story.starts[code + length - 1])]


def _best(query: Query, analyzed: AnalyzedStory) -> tuple[float, list[tuple[int, int]]] | None:
    """The score of the best matching group, and every group's hits; None: no match."""
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
    return best, hits


def match_score(query: Query, story: StoryText | AnalyzedStory) -> float | None:
    """`match_story`'s score alone (None when it does not match), without finding the
    words that matched: for an index that ranks many stories and quotes a few."""
    analyzed = story if isinstance(story, AnalyzedStory) else analyze_story(story)
    found = _best(query, analyzed)
    return None if found is None else round(found[0], 3)


def match_story(query: Query, story: StoryText | AnalyzedStory) -> TopicMatch | None:
    """How well a story matches a topic, or None when it does not."""
    analyzed = story if isinstance(story, AnalyzedStory) else analyze_story(story)
    found = _best(query, analyzed)
    if found is None:
        return None
    best, hits = found
    matched: dict[str, str] = {}
    # Kept as compressed UTF-8: a third of the size of a str holding any character past
    # Latin-1 (’, —).
    text = zlib.decompress(analyzed.text).decode()
    for code, length in sorted(set(hits)):
        surface = _surface(analyzed, text, code, length)
        matched.setdefault(surface.casefold(), surface)
    return TopicMatch(score=round(best, 3), matched=tuple(matched.values()))


# What a story must have for a query to match it, as look-up keys: alternatives (one per way
# the query can match), each a tuple of key sets.
QueryKeys = tuple[tuple[frozenset[str], ...], ...]


def query_keys(query: Query, languages: Iterable[tuple[str, ...]]) -> QueryKeys:
    """The keys `match_story` looks up for `query`, as a prefilter: a story in any of
    `languages` (AnalyzedStory.languages) that the query matches has, for at least one of
    the alternatives, at least one key of each of its sets in AnalyzedStory.keys.

    Necessary, not sufficient: a story with those keys may still not match (positions,
    capitals, exclusions are checked by `match_story`). An index of stories by key can so
    run `match_story` only on the stories sharing keys with the query."""
    langs = tuple(dict.fromkeys(languages))

    def word_keys(word: str, *, in_phrase: bool) -> set[str]:
        # `_positions`: the word's keys in each story language (+ its phrase-only key).
        keys = {"t:" + word} if in_phrase else set()
        for story_languages in langs:
            keys.update(_query_word_keys(word, story_languages))
        return keys

    def alias_keys(aliases: tuple[Alias, ...]) -> set[str]:
        # `_alias_hits`: a one-word name's keys, or the first word of a longer name.
        keys: set[str] = set()
        for story_languages in langs:
            _, single, multi = _alias_table(aliases, story_languages)
            keys.update(key for key, _ in single)
            for alias in multi:
                keys |= word_keys(alias.words[0], in_phrase=True)
        return keys

    def term_sets(term: Term) -> list[frozenset[str]]:
        if term.acronym:
            return [frozenset({"A:" + term.words[0]})]
        phrase = len(term.words) > 1
        words = [frozenset(word_keys(word, in_phrase=phrase)) for word in term.words]
        if not term.demonyms and not term.aliases:
            return words  # every word of the phrase must be there
        # Either the words (their first one stands for them) or a demonym or another name.
        return [words[0] | frozenset(term.demonyms) | frozenset(alias_keys(term.aliases))]

    alternatives: list[tuple[frozenset[str], ...]] = []
    for group in query.groups:
        alternatives.append(tuple(s for term in group.terms for s in term_sets(term)))
        if group.aliases:
            alternatives.append((frozenset(alias_keys(group.aliases)),))
    return tuple(alternatives)
