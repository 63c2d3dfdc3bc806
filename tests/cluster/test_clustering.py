"""Clustering on a real SQLite database: copies merge, different stories stay apart."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from digests.cluster import cluster_new_stories
from digests.storage import Database
from digests.storage.models import Cluster, ClusterBand, Feed, Story
from tests.cluster import corpus
from tests.cluster.corpus import Copy

NOW = datetime(2026, 1, 7, 18, 0, tzinfo=UTC)
_urls = itertools.count(1)


def add_feed(db: Database, title: str, url: str | None = None) -> int:
    with db.session() as session:
        feed = Feed(
            url=url or f"https://{title.lower().replace(' ', '')}.example/feed", title=title
        )
        session.add(feed)
        session.flush()
        return feed.id


def add_story(
    db: Database,
    copy: Copy,
    *,
    feed_id: int | None = None,
    url: str | None = None,
    status: str = "extracted",
    seen: datetime = NOW,
) -> int:
    url = url or f"https://news{next(_urls)}.example/story"
    with db.session() as session:
        story = Story(
            feed_id=feed_id,
            url=url,
            canonical_url=url,
            title=copy.title,
            text=copy.text,
            feed_summary=copy.feed_summary,
            status=status if copy.text else "fallback",
            first_seen_at=seen,
        )
        if status == "new":
            story.status = "new"
        session.add(story)
        session.flush()
        return story.id


def cluster_of(db: Database, story_id: int) -> int | None:
    with db.session() as session:
        return session.get(Story, story_id).cluster_id


def clusters(db: Database) -> list[Cluster]:
    with db.session() as session:
        return list(session.scalars(select(Cluster).order_by(Cluster.id)))


@pytest.fixture
def feeds(db: Database) -> dict[str, int]:
    names = ["New York Times", "DNYUZ", "Aggregator", "Wire Daily", "Kyiv Post", "Reuters"]
    return {name: add_feed(db, name) for name in names}


def test_the_seed_page_merges_with_the_article_it_copies(db, feeds):
    nyt = add_story(db, corpus.nyt_copy(), feed_id=feeds["New York Times"])
    dnyuz = add_story(db, corpus.dnyuz_copy(), feed_id=feeds["DNYUZ"])

    assert cluster_new_stories(db, now=NOW) == 2

    assert cluster_of(db, nyt) == cluster_of(db, dnyuz) is not None
    [cluster] = clusters(db)
    assert cluster.story_count == 2
    assert cluster.first_seen_at == NOW


@pytest.mark.parametrize(
    "make_copy",
    [
        corpus.trimmed_copy,  # ending trimmed, own footer
        corpus.late_lede_copy,  # first paragraph lost, byline and " | DNYUZ" in the title
        corpus.feed_only_copy,  # page unreadable: title + first paragraph from the feed
        corpus.wire_retitled_copy,  # same text, a newspaper's own headline
    ],
)
def test_copies_of_the_seed_join_its_cluster(db, feeds, make_copy):
    nyt = add_story(db, corpus.nyt_copy(), feed_id=feeds["New York Times"])
    cluster_new_stories(db, now=NOW)
    copy = add_story(db, make_copy(), feed_id=feeds["Aggregator"], seen=NOW + timedelta(hours=2))

    cluster_new_stories(db, now=NOW + timedelta(hours=2))

    assert cluster_of(db, copy) == cluster_of(db, nyt)
    [cluster] = clusters(db)
    assert cluster.story_count == 2
    # The cluster keeps the moment it was created, not the last copy's.
    assert cluster.first_seen_at == NOW
    assert cluster.updated_at == NOW + timedelta(hours=2)


def test_different_reports_on_the_same_subject_stay_apart(db, feeds):
    ids = [add_story(db, corpus.nyt_copy(), feed_id=feeds["New York Times"])]
    for i, copy in enumerate(corpus.SAME_SUBJECT + corpus.FEED_ONLY_OTHERS):
        ids.append(add_story(db, copy, feed_id=feeds["Kyiv Post" if i % 2 else "Reuters"]))

    cluster_new_stories(db, now=NOW)

    assert len({cluster_of(db, story_id) for story_id in ids}) == len(ids)


def test_a_wire_copy_under_another_headline_in_the_same_feed_stays_apart(db, feeds):
    # One outlet's pages share boilerplate that can read as "the same text"; an outlet does
    # not carry one story under two headlines, so only titles can merge within a feed.
    first = add_story(db, corpus.nyt_copy(), feed_id=feeds["Wire Daily"])
    second = add_story(db, corpus.wire_retitled_copy(), feed_id=feeds["Wire Daily"])

    cluster_new_stories(db, now=NOW)

    assert cluster_of(db, first) != cluster_of(db, second)


def test_feed_only_story_needs_its_description_to_match_too(db, feeds):
    nyt = add_story(db, corpus.nyt_copy(), feed_id=feeds["New York Times"])
    # Same feed, same title, another description: a different (recurring-title) story.
    other = add_story(
        db,
        Copy(title=corpus.SEED_TITLE, feed_summary=corpus.SAME_SUBJECT[0].text[:300]),
        feed_id=feeds["New York Times"],
    )

    cluster_new_stories(db, now=NOW)

    assert cluster_of(db, nyt) != cluster_of(db, other)


def test_feed_only_story_from_another_feed_with_the_very_same_title_merges(db, feeds):
    # Decision: a standfirst description shares no text with the article, but an identical
    # headline of six or more words from another outlet within a week is the same story.
    nyt = add_story(db, corpus.nyt_copy(), feed_id=feeds["New York Times"])
    bare = add_story(db, Copy(title=corpus.SEED_TITLE), feed_id=feeds["DNYUZ"])

    cluster_new_stories(db, now=NOW)

    assert cluster_of(db, bare) == cluster_of(db, nyt)


def test_copies_within_one_batch_and_across_batches(db, feeds):
    makers = [
        corpus.nyt_copy,
        corpus.dnyuz_copy,
        corpus.trimmed_copy,
        corpus.feed_only_copy,
        corpus.late_lede_copy,
    ]
    names = list(feeds)
    ids = [
        add_story(db, make(), feed_id=feeds[names[i]], seen=NOW + timedelta(minutes=i))
        for i, make in enumerate(makers)
    ]
    others = [add_story(db, copy, feed_id=feeds["Reuters"]) for copy in corpus.SAME_SUBJECT]

    # Batches of two: copies meet both inside a batch and across batches.
    assert cluster_new_stories(db, now=NOW, batch_size=2) == len(ids) + len(others)

    assert len({cluster_of(db, story_id) for story_id in ids}) == 1
    assert len({cluster_of(db, story_id) for story_id in others}) == len(others)
    seed_cluster = next(c for c in clusters(db) if c.id == cluster_of(db, ids[0]))
    assert seed_cluster.story_count == len(ids)


def test_representative_is_the_copy_with_the_fullest_text(db, feeds):
    trimmed = add_story(db, corpus.trimmed_copy(), feed_id=feeds["Aggregator"])
    cluster_new_stories(db, now=NOW)
    with db.session() as session:
        assert session.get(Cluster, cluster_of(db, trimmed)).representative_story_id == trimmed

    full = add_story(db, corpus.nyt_copy(), feed_id=feeds["New York Times"])
    feed_only = add_story(db, corpus.feed_only_copy(), feed_id=feeds["DNYUZ"])
    cluster_new_stories(db, now=NOW + timedelta(hours=1))

    with db.session() as session:
        cluster = session.get(Cluster, cluster_of(db, trimmed))
        assert cluster.representative_story_id == full
        assert cluster.story_count == 3
        assert cluster_of(db, feed_only) == cluster.id


def test_equal_text_keeps_the_earliest_copy_as_representative(db, feeds):
    first = add_story(db, corpus.nyt_copy(), feed_id=feeds["New York Times"])
    cluster_new_stories(db, now=NOW)
    second = add_story(db, corpus.nyt_copy(), feed_id=feeds["Reuters"], seen=NOW + timedelta(1))
    cluster_new_stories(db, now=NOW + timedelta(days=1))

    assert cluster_of(db, first) == cluster_of(db, second)
    with db.session() as session:
        assert session.get(Cluster, cluster_of(db, first)).representative_story_id == first


def test_same_url_up_to_scheme_and_www_is_one_story(db, feeds):
    a = add_story(
        db,
        Copy(title="Short one", feed_summary="Brief."),
        url="https://www.example.com/world/ukraine-1/",
    )
    b = add_story(
        db,
        Copy(title="Short one (updated)", feed_summary="Another brief."),
        url="http://example.com/world/ukraine-1",
    )

    cluster_new_stories(db, now=NOW)

    assert cluster_of(db, a) == cluster_of(db, b)


def test_unprocessed_stories_wait_and_placed_ones_are_not_moved(db, feeds):
    waiting = add_story(db, corpus.nyt_copy(), feed_id=feeds["New York Times"], status="new")
    placed = add_story(db, corpus.dnyuz_copy(), feed_id=feeds["DNYUZ"])

    assert cluster_new_stories(db, now=NOW) == 1
    assert cluster_of(db, waiting) is None
    assert cluster_new_stories(db, now=NOW) == 0

    with db.session() as session:
        session.get(Story, waiting).status = "extracted"
    assert cluster_new_stories(db, now=NOW + timedelta(minutes=5)) == 1
    assert cluster_of(db, waiting) == cluster_of(db, placed)


def test_copies_older_than_the_window_are_not_compared(db, feeds):
    old = add_story(db, corpus.nyt_copy(), feed_id=feeds["New York Times"])
    cluster_new_stories(db, now=NOW)
    later = NOW + timedelta(days=8)
    new = add_story(db, corpus.dnyuz_copy(), feed_id=feeds["DNYUZ"], seen=later)

    cluster_new_stories(db, now=later)

    assert cluster_of(db, new) != cluster_of(db, old)
    with db.session() as session:
        # Bands of stories out of the window are dropped.
        stale = select(func.count()).where(ClusterBand.story_id == old)
        assert session.scalar(stale.select_from(ClusterBand)) == 0


def test_the_digest_shows_the_seed_story_once_with_every_source(db, feeds):
    from digests.compose.digest import preview_digest

    add_story(db, corpus.trimmed_copy(), feed_id=feeds["Aggregator"])
    nyt = add_story(
        db,
        corpus.nyt_copy(),
        feed_id=feeds["New York Times"],
        url="https://www.nytimes.com/2026/01/06/world/europe/ukraine-security.html",
    )
    add_story(db, corpus.dnyuz_copy(), feed_id=feeds["DNYUZ"])
    add_story(db, corpus.feed_only_copy(), url="https://www.example-wire.com/allies-ukraine")
    for copy in corpus.SAME_SUBJECT:
        add_story(db, copy, feed_id=feeds["Reuters"])
    cluster_new_stories(db, now=NOW)

    with db.session() as session:
        plan = preview_digest(
            session, ["ukraine"], now=NOW + timedelta(hours=1), since=None, max_items=0
        )

    seed_items = [item for item in plan.items if corpus.SEED_TITLE in item.title]
    other_titles = [item.title for item in plan.items if item not in seed_items]
    assert len(set(other_titles)) == len(other_titles) >= 3
    assert set(other_titles) <= {copy.title for copy in corpus.SAME_SUBJECT}
    [item] = seed_items
    # The representative is the fullest text (the DNYUZ page with its chrome is longer, so
    # it wins over the NYT article); every outlet is listed once, the representative's first.
    assert item.sources[0] == "DNYUZ"
    assert sorted(item.sources) == ["Aggregator", "DNYUZ", "New York Times", "example-wire.com"]
    assert nyt != item.story_id
