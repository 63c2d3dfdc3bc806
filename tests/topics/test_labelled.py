"""Topic matching on a labelled set of stories (tests/topics/data/stories.json): each query
must match exactly the listed stories; precision and recall over all queries are printed."""

import json
from pathlib import Path

import pytest

from digests.topics import StoryText, analyze_story, match_story, parse_query

DATA = json.loads((Path(__file__).parent / "data" / "stories.json").read_text(encoding="utf-8"))
STORIES = {
    s["id"]: analyze_story(StoryText(s["title"], s["summary"], s["body"], s["language"]))
    for s in DATA["stories"]
}
KNOWN_ERRORS = DATA.get("known_errors", {})


def matching_ids(query_text: str) -> set[str]:
    query = parse_query(query_text)
    return {story_id for story_id, story in STORIES.items() if match_story(query, story)}


def test_the_set_is_big_enough_and_consistent():
    assert len(STORIES) >= 60
    assert len(DATA["queries"]) >= 12
    for expected in DATA["queries"].values():
        assert set(expected) <= set(STORIES)
    languages = {s["language"] for s in DATA["stories"]}
    assert {"en", "uk", "ru", "de", "fr"} <= languages


@pytest.mark.parametrize("query_text", sorted(DATA["queries"]))
def test_query_matches_exactly_the_labelled_stories(query_text):
    expected = set(DATA["queries"][query_text])
    # Known errors flip the expectation: the test still fails if they change either way.
    expected ^= set(KNOWN_ERRORS.get(query_text, ()))
    found = matching_ids(query_text)
    assert not found - expected, f"{query_text!r} wrongly matched {sorted(found - expected)}"
    assert not expected - found, f"{query_text!r} missed {sorted(expected - found)}"


def test_precision_and_recall_over_the_set():
    true_positive = false_positive = false_negative = 0
    for query_text, expected_ids in DATA["queries"].items():
        expected = set(expected_ids)
        found = matching_ids(query_text)
        true_positive += len(found & expected)
        false_positive += len(found - expected)
        false_negative += len(expected - found)
    precision = true_positive / (true_positive + false_positive)
    recall = true_positive / (true_positive + false_negative)
    print(
        f"\nlabelled set: precision {precision:.3f}, recall {recall:.3f} "
        f"({true_positive} right, {false_positive} wrong, {false_negative} missed)"
    )
    assert precision >= 0.95
    assert recall >= 0.95
