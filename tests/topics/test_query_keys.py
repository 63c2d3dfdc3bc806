"""`query_keys`, the prefilter an index of stories uses: a story a query matches always has
the keys it names, so matching only the stories sharing them finds every match; and
`match_score`, what the index keeps of a match."""

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.topics import (
    QueryError,
    StoryText,
    analyze_story,
    match_score,
    match_story,
    parse_query,
    query_keys,
)

DATA = json.loads((Path(__file__).parent / "data" / "stories.json").read_text(encoding="utf-8"))
STORIES = [
    analyze_story(StoryText(s["title"], s["summary"], s["body"], s["language"]))
    for s in DATA["stories"]
]
LANGUAGES = {story.languages for story in STORIES}
# Every form of topic: words, phrases, OR, exclusions, exact words, acronyms, places named
# by one word or several, in Latin and Cyrillic letters.
MORE_QUERIES = [
    "kyiv",
    "germany",
    "united states",
    "washington",
    '"coalition of the willing"',
    "ukraine OR kyiv -football",
    "US",
    "EU trade",
    "NATO OR =ukraine",
    "україна OR польща",
    "украина",
    "київ",
    "maldives",
    "china tariffs",
    '"white house"',
    "election",
    "the",
]
QUERIES = sorted(set(DATA["queries"]) | set(MORE_QUERIES))


def passes_prefilter(query, story) -> bool:
    """What an index does with `query_keys`: some alternative has a key of each set."""
    keys = set(story.keys)
    return any(
        all(keys & key_set for key_set in alternative)
        for alternative in query_keys(query, LANGUAGES)
    )


@pytest.mark.parametrize("query_text", QUERIES)
def test_every_labelled_story_a_query_matches_passes_its_prefilter(query_text):
    query = parse_query(query_text)
    matched = [story for story in STORIES if match_story(query, story)]
    assert all(passes_prefilter(query, story) for story in matched)


def test_the_prefilter_leaves_out_most_stories():
    # Not a filter that lets everything through: on the labelled set it keeps at most a
    # few times the stories each query matches.
    kept = matched = 0
    for query_text in DATA["queries"]:
        query = parse_query(query_text)
        kept += sum(passes_prefilter(query, story) for story in STORIES)
        matched += sum(match_story(query, story) is not None for story in STORIES)
    assert matched <= kept < 3 * matched


WORDS = sorted(
    {word for s in DATA["stories"] for word in f"{s['title']} {s['summary']}".split()}
    | {"Ukraine", "Kyiv", "U.S.", "us", "Україні", "Киеве", "Male", "Post", "Berlin", "Deutschland"}
)
OPERATORS = ["OR", "-", "=", '"']


def random_query(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        word = rng.choice(WORDS)
        operator = rng.choice(OPERATORS + [""] * 6)
        if operator == '"':
            word = f'"{word} {rng.choice(WORDS)}"'
        elif operator == "OR":
            parts.append("OR")
        elif operator:
            word = operator + word
        parts.append(word)
    return " ".join(parts)


def test_random_queries_on_random_stories_never_lose_a_match():
    rng = random.Random(5)
    stories = [
        analyze_story(
            StoryText(
                " ".join(rng.choices(WORDS, k=10)),
                " ".join(rng.choices(WORDS, k=40)),
                " ".join(rng.choices(WORDS, k=200)),
                rng.choice(["en", "de", "uk", "ru", "fr", ""]),
            )
        )
        for _ in range(60)
    ]
    languages = {story.languages for story in stories}
    checked = 0
    for _ in range(300):
        try:
            query = parse_query(random_query(rng))
        except QueryError:
            continue
        for story in stories:
            if match_story(query, story):
                keys = set(story.keys)
                alternatives = query_keys(query, languages)
                assert any(all(keys & s for s in alternative) for alternative in alternatives)
                checked += 1
    assert checked > 100  # the random queries do match


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(
        st.sampled_from([*WORDS[:400], "Ukraine", "Kyiv", "U.S.", "Україні"]), max_size=30
    ),
    query=st.sampled_from(QUERIES),
    language=st.sampled_from(["en", "de", "uk", "ru", ""]),
)
def test_any_story_a_query_matches_passes_its_prefilter(words, query, language):
    story = analyze_story(StoryText(" ".join(words[:8]), " ".join(words[8:]), "", language))
    parsed = parse_query(query)
    if match_story(parsed, story):
        keys = set(story.keys)
        alternatives = query_keys(parsed, {story.languages})
        assert any(all(keys & s for s in alternative) for alternative in alternatives)


@pytest.mark.parametrize("query_text", QUERIES)
def test_the_score_alone_is_the_score_of_the_match(query_text):
    query = parse_query(query_text)
    for story in STORIES:
        match = match_story(query, story)
        assert match_score(query, story) == (None if match is None else match.score)
