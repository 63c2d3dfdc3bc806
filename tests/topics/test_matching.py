"""Matching rules as a subscriber sees them: word forms, short words, acronyms, place
names, scores and the words reported as matched."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.topics import (
    QueryError,
    StoryText,
    analyze_story,
    match_story,
    parse_query,
)
from digests.topics.matching import MAX_BODY_WORDS


def matches(query: str, title: str, summary: str = "", body: str = "", language: str = ""):
    return match_story(parse_query(query), StoryText(title, summary, body, language))


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("ukraine", "UKRAINE votes"),
        ("ukraine", "Ukraine's harvest"),
        ("ukraine", "Ukrainian drones"),
        ("ukraine", "Ukrainians abroad"),
        ("Ukraine", "Pro-Ukraine rally"),
        ("election", "Elections called"),
        ("tariff", "Tariffs rise"),
        ("україна", "Новини з України"),
        ("україна", "Допомога Україні"),
        ("україна", "Разом з Україною"),
        ("украина", "Новости Украины"),
        ("украина", "Помощь Украине"),
        ("ukraine", "Russia hits Kyiv with ballistic missile"),
        ("ukraine", "Kiev marks independence day"),
        ("ukraine", "Україна і Польща"),
        ("ukraine", "Украина и Польша"),
        ("germany", "Deutschland im Winter"),
        ("germany", "Berlin sets budget"),
        ("US", "U.S. jobs report"),
        ("EU", "E.U. leaders meet"),
        ("NATO", "NATO's new chief"),
        ("us", "Join us tonight"),
        ("café", "Cafe culture"),
        ("cafe", "Café culture"),
    ],
)
def test_matches(query, title):
    assert matches(query, title), f"{query!r} should match {title!r}"


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("ai", "Officials said the air in Thailand is clean"),
        ("art", "Artificial intelligence"),
        ("war", "Award-winning software"),
        ("US", "Let us pray"),
        ("ukraine", "Washington Post staff strike"),
        ("united states", "Washington Post staff strike"),
        ("=ukraine", "Russia hits Kyiv"),
        ("=ukraine", "Ukrainian drones"),
        ("maldives", "Male Voters Shift Right"),
        ("maldives", "study of male birds"),
        ("ukraine", "Kyivstar tariffs"),
        ('"coalition of the willing"', "Willing coalition of the parties"),
        ("ukraine -football", "Ukraine football team wins"),
        ("ukraine grain", "Ukraine wheat harvest"),
    ],
)
def test_does_not_match(query, title):
    assert matches(query, title) is None, f"{query!r} should not match {title!r}"


def test_title_scores_above_summary_above_body_and_more_above_fewer():
    body_three = "Ukraine said. Ukraine asked. Ukraine won."
    title = matches("ukraine", "Ukraine wins")
    summary = matches("ukraine", "Grain news", "Ukraine wins")
    body = matches("ukraine", "Grain news", "", body_three)
    assert title.score > summary.score > body.score > 0
    twice = matches("ukraine", "Ukraine wins", "Ukraine celebrates")
    assert twice.score > title.score


def test_a_passing_mention_deep_in_the_body_is_not_a_match():
    body = "Markets rose. " * 200 + "Energy prices rose after the war in Ukraine."
    assert matches("ukraine", "Stocks close higher", "Banks led gains.", body) is None
    # Named three times in the opening, the body is about it.
    opening = ("Markets rose. " * 20 + "Energy prices rose after the war in Ukraine. ") * 3
    assert matches("ukraine", "Stocks close higher", "Banks led gains.", opening)


def test_only_the_opening_of_a_long_body_is_read():
    lead = "Ukraine said. Ukraine asked. Ukraine's army won. "
    filler = "Markets rose. " * MAX_BODY_WORDS
    found = matches("ukraine", "Stocks close higher", "", lead + filler)
    assert found is not None and found.matched == ("Ukraine", "Ukraine's")
    assert matches("ukraine", "Stocks close higher", "", filler + lead) is None
    # However long the body (one enormous "word" included), the story is still matched.
    assert matches("ukraine", "Ukraine", "", "x" * 10_000_000)


def test_matched_words_are_as_written_each_once_in_order():
    found = matches(
        "ukraine grain",
        "Kyiv says grain deal holds",
        "Ukraine's GRAIN exports and Ukrainian ports; Kyiv again",
    )
    assert found.matched == ("Kyiv", "grain", "Ukraine's", "Ukrainian")
    phrase = matches('"coalition of the willing"', "The Coalition of the Willing meets")
    assert phrase.matched == ("Coalition of the Willing",)


def test_an_analyzed_story_is_reused_for_many_queries():
    story = analyze_story(StoryText("Ukraine and Germany sign grain deal", language="en"))
    assert match_story(parse_query("ukraine"), story)
    assert match_story(parse_query("germany"), story)
    assert match_story(parse_query("tariff"), story) is None


@settings(max_examples=200, deadline=None)
@given(query=st.text(max_size=60), title=st.text(), summary=st.text(), body=st.text())
def test_matching_never_raises(query, title, summary, body):
    try:
        parsed = parse_query(query)
    except QueryError:
        parsed = parse_query("ukraine OR kyiv -football")
    story = StoryText(title, summary, body)
    result = match_story(parsed, story)
    if result is not None:
        assert result.score > 0
        assert result.matched


@settings(max_examples=100, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            [
                "Ukraine",
                "Kyiv",
                "U.S.",
                "us",
                "war",
                "award",
                "Україні",
                "Киеве",
                "Male",
                "Post",
                "'",
                '"',
                "-",
            ]
        ),
        max_size=12,
    ),
    query=st.sampled_from(["ukraine", "US", "war", "maldives", '"kyiv post"', "=ukraine -war"]),
)
def test_matching_never_raises_on_tricky_words(words, query):
    match_story(parse_query(query), StoryText(" ".join(words), " ".join(reversed(words))))
