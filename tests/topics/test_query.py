"""Parsing topics: the forms people type, the limits, and friendly errors."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.topics import (
    MAX_TOPIC_CHARS,
    MAX_TOPICS_PER_SUBSCRIBER,
    QueryError,
    check_new_topic,
    parse_query,
)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("ukraine", "ukraine"),
        ("  Ukraine   GRAIN!!", "ukraine grain"),
        ('"Coalition of the Willing"', '"coalition of the willing"'),
        ('"coalition of the willing', '"coalition of the willing"'.replace('"', "")),
        ("ukraine OR kyiv", "ukraine OR kyiv"),
        ("ukraine or kyiv", "ukraine OR kyiv"),
        ("ukraine grain OR kyiv", "ukraine grain OR kyiv"),
        ("ukraine -football", "ukraine -football"),
        ("US", "US"),
        ("U.S.", "US"),
        ("us", "us"),
        ("=Ukraine", "=ukraine"),
        ("«Україна»", "україна"),
        ("ukraine, ", "ukraine"),
        ("ukraine OR", "ukraine"),
    ],
)
def test_typed_topics_are_normalized_for_display(typed, shown):
    assert parse_query(typed).text == shown


def test_or_binds_looser_than_and():
    query = parse_query("a1 b1 OR c1")
    assert [[t.display for t in g.terms] for g in query.groups] == [["a1", "b1"], ["c1"]]


@pytest.mark.parametrize("typed", ["", "   ", "!!!", '""', "OR", "- -", "..."])
def test_topics_without_words_get_a_friendly_error_with_an_example(typed):
    with pytest.raises(QueryError, match="for example"):
        parse_query(typed)


def test_a_topic_that_only_excludes_says_so():
    with pytest.raises(QueryError, match=r"only excludes.*for example \"ukraine -football\""):
        parse_query("-football")


def test_limits_on_new_topics():
    assert check_new_topic([], "ukraine").text == "ukraine"
    with pytest.raises(QueryError, match=f"at most {MAX_TOPIC_CHARS} characters"):
        check_new_topic([], "word " * 30)
    full = [f"topic{n}" for n in range(MAX_TOPICS_PER_SUBSCRIBER)]
    with pytest.raises(QueryError, match=f"most allowed is {MAX_TOPICS_PER_SUBSCRIBER}"):
        check_new_topic(full, "ukraine")
    with pytest.raises(QueryError, match='already follow "ukraine"'):
        check_new_topic(["Ukraine "], "ukraine!")
    assert check_new_topic(full[:-1], "ukraine OR kyiv").text == "ukraine OR kyiv"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_raises_nothing_but_query_error(text):
    try:
        query = parse_query(text)
    except QueryError as error:
        assert str(error)
    else:
        assert query.text.strip()
        assert query.groups
