"""Property tests: whatever the stories, topics and past deliveries, a digest holds each story
once and never one delivered before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from digests.compose.digest import ClusterIndex, compose_digest
from digests.storage.models import Base, Delivery, Subscriber
from tests.compose.newsroom import Copy, Newsroom

NOW = datetime(2026, 1, 8, 8, 0, tzinfo=UTC)
WORDS = ["ukraine", "grain", "kyiv", "election", "tariff", "football", "markets"]
FEEDS = ["BBC", "Reuters", "DNYUZ", None]

words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4)
copies = st.lists(st.tuples(words, st.sampled_from(FEEDS)), min_size=1, max_size=3)
clusters = st.lists(
    st.tuples(copies, st.integers(min_value=0, max_value=60), st.booleans()),
    max_size=12,
)
topics = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=2).map(" ".join),
    max_size=4,
    unique=True,
)
property_settings = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _reset(db) -> Newsroom:
    with db.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))
    return Newsroom(db)


def _build(db, stories, topic_list, last_digest_hours):
    room = _reset(db)
    cluster_ids, delivered = [], set()
    for number, (members, hours, was_delivered) in enumerate(stories):
        cluster_id = room.cluster(
            NOW - timedelta(hours=hours),
            *(
                Copy(feed, f"{' '.join(title).capitalize()} {number}", summary=[" ".join(title)])
                for title, feed in members
            ),
        )
        cluster_ids.append(cluster_id)
        if was_delivered:
            delivered.add(cluster_id)
    last = None if last_digest_hours is None else NOW - timedelta(hours=last_digest_hours)
    subscriber = room.subscriber(*topic_list, last_digest_at=last)
    room.deliver(subscriber, *delivered)
    return room, subscriber, delivered


def _assert_each_story_once(plan):
    items = plan.items
    assert len({item.cluster_id for item in items}) == len(items)
    assert len({item.story_id for item in items}) == len(items)
    assert len({item.url for item in items}) == len(items)


@property_settings
@given(
    stories=clusters,
    topic_list=topics,
    last_digest_hours=st.none() | st.integers(min_value=0, max_value=48),
    max_items=st.none() | st.integers(min_value=0, max_value=5),
)
def test_a_digest_holds_each_story_once_and_nothing_delivered(
    db, stories, topic_list, last_digest_hours, max_items
):
    _, subscriber_id, delivered = _build(db, stories, topic_list, last_digest_hours)

    with db.session() as session:
        subscriber = session.get(Subscriber, subscriber_id)
        plan = compose_digest(session, subscriber, now=NOW, max_items=max_items)

    _assert_each_story_once(plan)
    assert not {item.cluster_id for item in plan.items} & delivered
    if max_items:
        assert len(plan.items) <= max_items
    assert [s.topic for s in plan.sections] == [t for t in topic_list if t in plan_topics(plan)]
    for item in plan.items:
        assert plan.since < item.published <= NOW


def plan_topics(plan) -> set[str]:
    return {section.topic for section in plan.sections}


@property_settings
@given(
    stories=clusters,
    later=clusters,
    topic_list=topics,
    gap_hours=st.integers(min_value=0, max_value=30),
)
def test_what_one_digest_delivered_the_next_never_repeats(
    db, stories, later, topic_list, gap_hours
):
    room, subscriber_id, _ = _build(db, stories, topic_list, None)
    cache = ClusterIndex()
    with db.session() as session:
        subscriber = session.get(Subscriber, subscriber_id)
        first = compose_digest(session, subscriber, now=NOW, max_items=3, cache=cache)
        for item in first.items:
            session.add(Delivery(subscriber_id=subscriber_id, cluster_id=item.cluster_id))
        subscriber.last_digest_at = NOW - timedelta(hours=gap_hours)  # overlapping windows
    next_time = NOW + timedelta(hours=1)
    for members, hours, _ in later:
        room.cluster(
            next_time - timedelta(hours=hours),
            *(Copy(feed, " ".join(title), summary=[" ".join(title)]) for title, feed in members),
        )

    with db.session() as session:
        subscriber = session.get(Subscriber, subscriber_id)
        second = compose_digest(session, subscriber, now=next_time, max_items=0)

    _assert_each_story_once(second)
    assert not {i.cluster_id for i in first.items} & {i.cluster_id for i in second.items}
