"""The long-lived index the bot composes every digest from: it follows clusters that change
after it read them, is trimmed to a window, is shared by threads; and a digest's look-back."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime, timedelta

from digests.cluster import cluster_new_stories
from digests.compose import candidates
from digests.compose.digest import (
    MAX_LOOKBACK,
    SHARED_INDEX_WINDOW,
    ClusterIndex,
    compose_digest,
    recent_matches,
    shared_index,
)
from digests.storage.models import Subscriber
from tests.cluster import corpus
from tests.cluster.test_clustering import add_feed, add_story
from tests.compose.newsroom import Copy, Newsroom

NOW = datetime(2026, 1, 8, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def tick_digest(db, index: ClusterIndex, subscriber_id: int, now: datetime):
    """A subscriber's digest as the bot's tick composes it: the shared index brought up to
    date once for the tick, then the digest."""
    with db.session() as session:
        index.keep_window(session, now - SHARED_INDEX_WINDOW, now)
        subscriber = session.get(Subscriber, subscriber_id)
        return compose_digest(session, subscriber, now=now, cache=index)


def test_a_copy_joining_later_is_a_source_and_a_fuller_one_becomes_the_story(db):
    room = Newsroom(db)
    feeds = {name: add_feed(db, name) for name in ("Aggregator", "New York Times", "DNYUZ")}
    trimmed = add_story(db, corpus.trimmed_copy(), feed_id=feeds["Aggregator"], seen=NOW)
    cluster_new_stories(db, now=NOW)
    first_reader = room.subscriber("ukraine")
    # "zelensky" is only in the fuller copy's text (four times in its opening).
    later_readers = [room.subscriber("ukraine") for _ in range(2)]
    zelensky_reader = room.subscriber("zelensky")
    index = shared_index(db.engine)

    before = tick_digest(db, index, first_reader, NOW + HOUR)
    assert [item.story_id for item in before.items] == [trimmed]
    assert before.items[0].sources == ("Aggregator",)
    assert tick_digest(db, index, zelensky_reader, NOW + HOUR).is_empty

    # Copies arrive after the index read the cluster: the fullest text becomes its story.
    full = add_story(db, corpus.nyt_copy(), feed_id=feeds["New York Times"], seen=NOW + HOUR)
    add_story(db, corpus.feed_only_copy(), feed_id=feeds["DNYUZ"], seen=NOW + HOUR)
    cluster_new_stories(db, now=NOW + 2 * HOUR)

    after = tick_digest(db, index, later_readers[0], NOW + 3 * HOUR)
    assert [item.story_id for item in after.items] == [full]
    assert after.items[0].sources == ("New York Times", "Aggregator", "DNYUZ")
    assert after.items[0].title == corpus.nyt_copy().title
    # The new representative was analyzed again: its text matches what the old one did not.
    assert [
        item.story_id for item in tick_digest(db, index, zelensky_reader, NOW + 3 * HOUR).items
    ] == [full]
    # The next tick has nothing new to read: the same answer.
    again = tick_digest(db, index, later_readers[1], NOW + 3 * HOUR + timedelta(minutes=1))
    assert again.items == after.items


def test_a_new_source_only_is_picked_up_without_analyzing_again(db, monkeypatch):
    room = Newsroom(db)
    cluster_id = room.cluster(NOW - 2 * HOUR, Copy("BBC", "Ukraine grain deal signed"))
    readers = [room.subscriber("grain") for _ in range(2)]
    analyzed = []
    real = candidates.analyze_story
    monkeypatch.setattr(
        candidates, "analyze_story", lambda story: analyzed.append(story.title) or real(story)
    )
    index = ClusterIndex()
    assert tick_digest(db, index, readers[0], NOW).items[0].sources == ("BBC",)

    room.add_copy(cluster_id, Copy("Reuters", "Ukraine grain deal is signed"), at=NOW + HOUR)

    assert tick_digest(db, index, readers[1], NOW + 2 * HOUR).items[0].sources == (
        "BBC",
        "Reuters",
    )
    assert analyzed == ["Ukraine grain deal signed"]


def test_the_index_keeps_only_its_window(db, monkeypatch):
    room = Newsroom(db)
    room.cluster(NOW - 30 * HOUR, Copy("BBC", "Ukraine talks stall"))
    room.cluster(NOW - 2 * HOUR, Copy("BBC", "Ukraine grain deal signed"))
    weekly = room.subscriber("ukraine", last_digest_at=NOW - 3 * 24 * HOUR)
    daily = room.subscriber("ukraine", last_digest_at=NOW - 24 * HOUR)
    analyzed = []
    real = candidates.analyze_story
    monkeypatch.setattr(
        candidates, "analyze_story", lambda story: analyzed.append(story.title) or real(story)
    )
    index = ClusterIndex()

    assert len(tick_digest(db, index, daily, NOW).items) == 1
    assert analyzed == ["Ukraine grain deal signed"]  # the day only
    assert len(tick_digest(db, index, weekly, NOW).items) == 2  # older: read for this one
    assert analyzed[1:] == ["Ukraine talks stall"]
    # The next tick trims the index back to its window: an older digest reads it again.
    assert len(tick_digest(db, index, weekly, NOW + timedelta(minutes=1)).items) == 2
    assert analyzed[2:] == ["Ukraine talks stall"]


def test_a_digest_looks_back_a_week_at_most(db):
    room = Newsroom(db)
    room.cluster(NOW - 3 * 24 * HOUR, Copy("BBC", "Ukraine talks resume"))
    room.cluster(NOW - 10 * 24 * HOUR, Copy("BBC", "Ukraine talks stall"))
    back_after_a_month = room.subscriber("ukraine", last_digest_at=NOW - 30 * 24 * HOUR)

    with db.session() as session:
        subscriber = session.get(Subscriber, back_after_a_month)
        plan = compose_digest(session, subscriber, now=NOW)

    assert plan.since == NOW - MAX_LOOKBACK
    assert [item.title for item in plan.items] == ["Ukraine talks resume"]


def test_threads_composing_at_once_from_one_index_agree(db):
    room = Newsroom(db)
    topics = ["ukraine", "grain", "tariff", "election"]
    for number in range(40):
        room.cluster(
            NOW - (number % 20 + 1) * HOUR,
            Copy("BBC", f"{topics[number % 4].capitalize()} report {number}"),
            Copy("Reuters", f"{topics[(number + 1) % 4].capitalize()} update {number}"),
        )
    readers = [room.subscriber(topics[n % 4], topics[(n + 2) % 4]) for n in range(12)]

    def digest_titles(subscriber_id: int, index: ClusterIndex) -> list[str]:
        with db.session() as session:
            subscriber = session.get(Subscriber, subscriber_id)
            plan = compose_digest(session, subscriber, now=NOW, max_items=0, cache=index)
            return [item.title for item in plan.items]

    expected = {n: digest_titles(n, ClusterIndex()) for n in readers}
    with db.session() as session:
        expected_count = recent_matches(session, "grain", now=NOW, cache=ClusterIndex())
    shared = ClusterIndex()
    start = threading.Barrier(3)
    results: dict[str, list] = {"composed": [], "counted": [], "errors": []}

    def compose_all() -> None:
        try:
            start.wait()
            for subscriber_id in readers:
                results["composed"].append((subscriber_id, digest_titles(subscriber_id, shared)))
        except Exception as exc:  # reported below
            results["errors"].append(exc)

    def count_and_refresh() -> None:
        try:
            start.wait()
            for turn in range(20):
                # Trimming the index under the composing threads' feet, and reloading.
                window = 2 * HOUR if turn % 2 else SHARED_INDEX_WINDOW
                with db.session() as session:
                    shared.keep_window(session, NOW - window, NOW)
                    results["counted"].append(
                        recent_matches(session, "grain", now=NOW, cache=shared)
                    )
        except Exception as exc:
            results["errors"].append(exc)

    threads = [
        threading.Thread(target=compose_all),
        threading.Thread(target=compose_all),
        threading.Thread(target=count_and_refresh),
    ]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # let the threads interleave finely
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sys.setswitchinterval(switch)

    assert results["errors"] == []
    assert len(results["composed"]) == 2 * len(readers)
    for subscriber_id, titles in results["composed"]:
        assert titles == expected[subscriber_id]
    assert results["counted"] == [expected_count] * 20
