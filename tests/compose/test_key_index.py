"""The cluster index matches a topic only against the clusters sharing its keys: it must
find exactly what matching every cluster finds, also after the index is trimmed, after
clusters get a new representative, and as new clusters arrive."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digests.compose import candidates
from digests.compose.digest import ClusterIndex
from digests.storage.models import Cluster
from digests.topics import StoryText, match_story, parse_query
from tests.compose.newsroom import Copy, Newsroom

NOW = datetime(2026, 1, 8, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DATA = json.loads(
    (Path(__file__).parents[1] / "topics" / "data" / "stories.json").read_text(encoding="utf-8")
)
QUERIES = [
    *sorted(DATA["queries"]),
    "kyiv",
    "united states",
    '"white house"',
    "US",
    "ukraine OR kyiv -football",
    "україна OR польща",
    "election",
]


def add_labelled(room: Newsroom, story: dict, seen: datetime) -> tuple[int, StoryText]:
    cluster_id = room.cluster(
        seen,
        Copy("Wire", story["title"], text=story["body"], feed_summary=story["summary"]),
    )
    # What the index analyzes: the copy's title, feed description and text.
    return cluster_id, StoryText(story["title"], story["summary"], story["body"])


def expected(query_text: str, texts: dict[int, StoryText]) -> dict[int, tuple]:
    """Every cluster matched one by one."""
    query = parse_query(query_text)
    found = {}
    for cluster_id, text in texts.items():
        match = match_story(query, text)
        if match is not None:
            found[cluster_id] = (match.score, match.matched)
    return found


def indexed(index: ClusterIndex, query_text: str) -> dict[int, tuple]:
    query = parse_query(query_text)
    return {
        cluster_id: (score, index.match(query, cluster_id).matched)
        for cluster_id, score in index.matching(query).items()
    }


@pytest.fixture
def labelled_room(db):
    room = Newsroom(db)
    texts = {}
    for number, story in enumerate(DATA["stories"]):
        cluster_id, text = add_labelled(room, story, NOW - (len(DATA["stories"]) - number) * HOUR)
        texts[cluster_id] = text
    return room, texts


def test_the_index_finds_what_matching_every_cluster_finds(db, labelled_room):
    _, texts = labelled_room
    index = ClusterIndex()
    with db.session() as session:
        index.load(session, None, NOW)
    for query_text in QUERIES:
        assert indexed(index, query_text) == expected(query_text, texts), query_text
    assert any(expected(query_text, texts) for query_text in QUERIES)


def test_random_topics_on_random_stories_find_the_same(db):
    rng = random.Random(11)
    words = sorted(
        {w for s in DATA["stories"] for w in f"{s['title']} {s['summary']}".split()}
        | {"Ukraine", "Kyiv", "U.S.", "Україні", "Berlin", "Deutschland"}
    )
    room = Newsroom(db)
    texts = {}
    for number in range(80):
        title = " ".join(rng.choices(words, k=10))
        summary = " ".join(rng.choices(words, k=30))
        body = " ".join(rng.choices(words, k=150))
        cluster_id = room.cluster(
            NOW - number * HOUR, Copy("Wire", title, text=body, feed_summary=summary)
        )
        texts[cluster_id] = StoryText(title, summary, body)
    index = ClusterIndex()
    with db.session() as session:
        index.load(session, None, NOW)
    matched = 0
    for _ in range(150):
        parts = rng.choices(words, k=rng.randint(1, 3))
        if rng.random() < 0.3:
            parts.insert(1, "OR")
        if rng.random() < 0.2:
            parts.append("-" + rng.choice(words))
        query_text = " ".join(parts)
        try:
            parse_query(query_text)
        except ValueError:
            continue
        want = expected(query_text, texts)
        assert indexed(index, query_text) == want, query_text
        matched += len(want)
    assert matched > 50


def test_trims_new_clusters_and_new_representatives_keep_the_key_index_right(
    db, labelled_room, monkeypatch
):
    room, texts = labelled_room
    # Compact the key index at every trim: the renumbered slots are checked too.
    monkeypatch.setattr(candidates, "MIN_DEAD_SLOTS_TO_COMPACT", 1)
    index = ClusterIndex()
    oldest = min(c for c in texts)
    with db.session() as session:
        index.load(session, None, NOW)
    for query_text in QUERIES:
        indexed(index, query_text)  # every query has matched the whole index

    # Trim the older half.
    middle = NOW - len(texts) // 2 * HOUR
    index.forget_before(middle)
    # Cluster `oldest + n` was first seen len(texts) - n hours before NOW.
    kept = {
        cid: text for cid, text in texts.items() if len(texts) - (cid - oldest) < len(texts) // 2
    }
    with db.session() as session:
        assert {c.cluster_id for c in index.between(session, middle, NOW)} == set(kept)
    for query_text in QUERIES:
        assert indexed(index, query_text) == expected(query_text, kept), query_text

    # Some clusters get another story as representative (the old text no longer counts),
    # and new clusters arrive.
    swaps = sorted(kept)[::3]
    donors = [s for s in DATA["stories"][: len(swaps)]]
    for cluster_id, story in zip(swaps, reversed(donors), strict=True):
        copy = Copy("Other", story["title"], text=story["body"], feed_summary=story["summary"])
        story_id = room.add_copy(cluster_id, copy, at=NOW + HOUR)
        with db.session() as session:
            session.get(Cluster, cluster_id).representative_story_id = story_id
        kept[cluster_id] = StoryText(story["title"], story["summary"], story["body"])
    for number, story in enumerate(DATA["stories"][:10]):
        cluster_id, text = add_labelled(room, story, NOW + (number + 1) * HOUR / 20)
        kept[cluster_id] = text
    with db.session() as session:
        index.refresh(session)
        index.load(session, middle, NOW + HOUR)
    for query_text in QUERIES:
        assert indexed(index, query_text) == expected(query_text, kept), query_text

    # Trimmed again, down to the new clusters and the swapped ones' window.
    index.forget_before(NOW)
    latest = {cid: text for cid, text in kept.items() if cid not in texts}
    for query_text in QUERIES:
        assert indexed(index, query_text) == expected(query_text, latest), query_text


def test_loading_in_chunks_reads_every_cluster_whole(db, labelled_room, monkeypatch):
    room, texts = labelled_room
    # Clusters with several copies, some straddling a chunk boundary.
    for cluster_id in sorted(texts)[::4]:
        room.add_copy(cluster_id, Copy("Second outlet", "A copy"), at=NOW)
        room.add_copy(cluster_id, Copy("Third outlet", "Another copy"), at=NOW)
    whole = ClusterIndex()
    with db.session() as session:
        expected_clusters = whole.between(session, None, NOW)
    monkeypatch.setattr(candidates, "LOAD_CHUNK_CLUSTERS", 3)
    monkeypatch.setattr(candidates, "LOAD_CHUNK_ROWS", 2)
    chunked = ClusterIndex()
    with db.session() as session:
        assert chunked.between(session, None, NOW) == expected_clusters
    assert len(expected_clusters) == len(texts)
    assert {len(c.sources) for c in expected_clusters} == {1, 3}
    for query_text in QUERIES:
        assert indexed(chunked, query_text) == indexed(whole, query_text)
