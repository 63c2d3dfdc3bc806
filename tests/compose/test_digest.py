"""Composing digests on a real SQLite database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from digests.compose import candidates
from digests.compose.digest import ClusterIndex, compose_digest, preview_digest, recent_matches
from digests.storage.models import Subscriber
from digests.topics import QueryError
from tests.compose.newsroom import Copy, Newsroom

NOW = datetime(2026, 1, 8, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def room(db) -> Newsroom:
    return Newsroom(db)


def digest_for(db, subscriber_id: int, **kwargs):
    with db.session() as session:
        subscriber = session.get(Subscriber, subscriber_id)
        return compose_digest(session, subscriber, now=kwargs.pop("now", NOW), **kwargs)


def titles(plan) -> list[str]:
    return [item.title for item in plan.items]


def test_first_digest_covers_the_last_24_hours(db, room):
    room.cluster(NOW - 2 * HOUR, Copy("BBC", "Ukraine grain deal signed"))
    room.cluster(NOW - 23 * HOUR, Copy("BBC", "Ukraine talks resume"))
    room.cluster(NOW - 25 * HOUR, Copy("BBC", "Ukraine talks stall"))
    room.cluster(NOW + HOUR, Copy("BBC", "Ukraine news from the future"))
    sub = room.subscriber("ukraine")

    plan = digest_for(db, sub)

    assert sorted(titles(plan)) == ["Ukraine grain deal signed", "Ukraine talks resume"]
    assert plan.since == NOW - 24 * HOUR
    assert plan.until == NOW
    assert plan.subscriber_id == sub


def test_later_digests_start_at_the_previous_one(db, room):
    room.cluster(NOW - 2 * HOUR, Copy("BBC", "Ukraine grain deal signed"))
    room.cluster(NOW - 5 * HOUR, Copy("BBC", "Ukraine talks resume"))
    sub = room.subscriber("ukraine", last_digest_at=NOW - 3 * HOUR)

    assert titles(digest_for(db, sub)) == ["Ukraine grain deal signed"]


def test_only_matching_stories_are_in_the_digest(db, room):
    room.cluster(NOW - HOUR, Copy("BBC", "Election results in Poland"))
    room.cluster(NOW - HOUR, Copy("BBC", "Markets rally", text="Ukraine was not mentioned… "))
    room.cluster(NOW - HOUR, Copy("BBC", "Tariff row deepens"))
    sub = room.subscriber("election", "tariff")

    plan = digest_for(db, sub)

    assert sorted(titles(plan)) == ["Election results in Poland", "Tariff row deepens"]


def test_a_subscriber_without_topics_gets_an_empty_digest(db, room):
    room.cluster(NOW - HOUR, Copy("BBC", "Ukraine grain deal signed"))
    plan = digest_for(db, room.subscriber())
    assert plan.is_empty
    assert plan.sections == ()


def test_delivered_clusters_never_come_back(db, room):
    sent = room.cluster(NOW - 2 * HOUR, Copy("BBC", "Ukraine grain deal signed"))
    room.cluster(NOW - HOUR, Copy("BBC", "Ukraine talks resume"))
    sub = room.subscriber("ukraine")
    other = room.subscriber("ukraine")
    room.deliver(sub, sent)

    assert titles(digest_for(db, sub)) == ["Ukraine talks resume"]
    # Delivery is per subscriber.
    assert sorted(titles(digest_for(db, other))) == [
        "Ukraine grain deal signed",
        "Ukraine talks resume",
    ]


def test_title_matches_rank_above_body_matches(db, room):
    room.cluster(
        NOW - HOUR,
        Copy("BBC", "Markets calm", feed_summary="Grain prices fall as Ukraine ships more."),
    )
    room.cluster(NOW - HOUR, Copy("BBC", "Ukraine grain exports rise"))
    sub = room.subscriber("ukraine")

    assert titles(digest_for(db, sub)) == ["Ukraine grain exports rise", "Markets calm"]


def test_more_sources_rank_higher(db, room):
    room.cluster(NOW - HOUR, Copy("BBC", "Ukraine talks resume"))
    room.cluster(
        NOW - HOUR,
        Copy("Reuters", "Ukraine grain deal signed"),
        Copy("DNYUZ", "Ukraine grain deal signed"),
        Copy("BBC", "Ukraine grain deal signed"),
    )
    sub = room.subscriber("ukraine")

    plan = digest_for(db, sub)

    assert titles(plan) == ["Ukraine grain deal signed", "Ukraine talks resume"]
    assert plan.items[0].sources == ("Reuters", "DNYUZ", "BBC")


def test_newer_stories_rank_higher(db, room):
    room.cluster(NOW - 20 * HOUR, Copy("BBC", "Ukraine talks resume"))
    room.cluster(NOW - 2 * HOUR, Copy("BBC", "Ukraine talks stall"))
    room.cluster(NOW - 10 * HOUR, Copy("BBC", "Ukraine talks move"))
    sub = room.subscriber("ukraine")

    assert titles(digest_for(db, sub)) == [
        "Ukraine talks stall",
        "Ukraine talks move",
        "Ukraine talks resume",
    ]


def test_at_most_max_items_the_best_ones(db, room, monkeypatch):
    for hours in range(1, 7):
        room.cluster(NOW - hours * HOUR, Copy("BBC", f"Ukraine update {hours}"))
    default = room.subscriber("ukraine")
    own = room.subscriber("ukraine", max_items=2)

    monkeypatch.setenv("MAX_ITEMS_PER_DIGEST", "4")
    from digests.config import get_settings

    get_settings.cache_clear()
    assert titles(digest_for(db, default)) == [f"Ukraine update {h}" for h in (1, 2, 3, 4)]
    assert titles(digest_for(db, own)) == ["Ukraine update 1", "Ukraine update 2"]
    assert titles(digest_for(db, own, max_items=3)) == [f"Ukraine update {h}" for h in (1, 2, 3)]


def test_sections_follow_the_order_topics_were_added(db, room):
    room.cluster(NOW - HOUR, Copy("BBC", "Tariff row deepens tariff tariff"))
    room.cluster(NOW - 3 * HOUR, Copy("BBC", "Election called"))
    sub = room.subscriber("election", "tariff")

    plan = digest_for(db, sub)

    assert [section.topic for section in plan.sections] == ["election", "tariff"]
    assert [item.topic for item in plan.items] == ["election", "tariff"]


def test_a_story_matching_two_topics_appears_once_under_the_first(db, room):
    room.cluster(NOW - HOUR, Copy("BBC", "Ukraine grain deal signed"))
    room.cluster(NOW - HOUR, Copy("BBC", "Grain harvest record"))
    sub = room.subscriber("grain", "ukraine")

    plan = digest_for(db, sub)

    assert [section.topic for section in plan.sections] == ["grain"]
    assert sorted(titles(plan)) == ["Grain harvest record", "Ukraine grain deal signed"]


def test_item_fields(db, room):
    published = NOW - 30 * HOUR  # published before it was first seen: still shown as such
    cluster_id = room.cluster(
        NOW - HOUR,
        Copy(
            "New York Times",
            "European Allies Agree to Key Security Provisions for Ukraine",
            text="Ukraine’s allies agreed on Tuesday to provide key aspects of security.",
            url="https://www.nytimes.com/2026/01/06/world/europe/ukraine-security.html",
            published=published + HOUR,
        ),
        Copy(
            None,
            "European Allies Agree to Key Security Provisions for Ukraine",
            summary=["Allies agreed on security provisions.", "Troops would deter Russia."],
            url="https://www.dnyuz.com/2026/01/07/european-allies/",
            published=published,
        ),
        Copy("New York Times", "European Allies Agree …", url="https://nyti.ms/abc"),
    )
    sub = room.subscriber("ukraine")

    [item] = digest_for(db, sub).items

    assert item.cluster_id == cluster_id
    assert item.title == "European Allies Agree to Key Security Provisions for Ukraine"
    assert item.url == "https://www.nytimes.com/2026/01/06/world/europe/ukraine-security.html"
    assert item.sources == ("New York Times", "dnyuz.com")
    assert item.published == published
    # The representative has no summary: a copy's is used.
    assert item.summary == ("Allies agreed on security provisions.", "Troops would deter Russia.")
    assert item.topic == "ukraine"
    assert "Ukraine" in item.matched
    assert item.score > 0


def test_without_any_summary_the_feed_description_stands_in(db, room):
    room.cluster(
        NOW - HOUR,
        Copy("BBC", "Ukraine talks resume", feed_summary="Negotiators meet in  Geneva."),
    )
    [item] = digest_for(db, room.subscriber("ukraine")).items
    assert item.summary == ("Negotiators meet in Geneva.",)
    assert item.published == NOW - HOUR


def test_one_cache_for_a_tick_analyzes_each_story_once(db, room, monkeypatch):
    for hours in range(1, 6):
        room.cluster(NOW - hours * HOUR, Copy("BBC", f"Ukraine grain update {hours}"))
    subscribers = [room.subscriber("ukraine", "grain") for _ in range(4)]
    subscribers.append(room.subscriber("grain", last_digest_at=NOW - 2.5 * HOUR))
    analyzed = []
    real = candidates.analyze_story
    monkeypatch.setattr(
        candidates, "analyze_story", lambda story: analyzed.append(story.title) or real(story)
    )
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    cache = ClusterIndex()
    plans = []
    for sub in subscribers:
        plans.append(digest_for(db, sub, cache=cache))

    assert sorted(analyzed) == sorted(f"Ukraine grain update {h}" for h in range(1, 6))
    assert [len(plan.items) for plan in plans] == [5, 5, 5, 5, 2]
    # No query per story: the subscriber, its topics, its deliveries; the index loads once.
    assert len(statements) <= 3 * len(subscribers) + 2


def test_preview_all_time_without_cap(db, room):
    for days in range(1, 13):
        room.cluster(NOW - days * 24 * HOUR, Copy("BBC", f"Ukraine day {days}"))
    room.cluster(NOW - HOUR, Copy("BBC", "Grain harvest record"))
    with db.session() as session:
        everything = preview_digest(session, ["ukraine", "grain"], now=NOW, since=None, max_items=0)
        capped = preview_digest(
            session, ["ukraine"], now=NOW, since=NOW - 72 * HOUR, max_items=None
        )
        two = preview_digest(session, ["ukraine"], now=NOW, since=None, max_items=2)

    assert len(everything.items) == 13
    assert [s.topic for s in everything.sections] == ["ukraine", "grain"]
    assert titles(capped) == ["Ukraine day 1", "Ukraine day 2"]
    assert titles(two) == ["Ukraine day 1", "Ukraine day 2"]


def test_preview_rejects_a_bad_query(db):
    with db.session() as session, pytest.raises(QueryError):
        preview_digest(session, ["ukraine", "(("], now=NOW, since=None, max_items=0)


def test_recent_matches_counts_the_last_day(db, room):
    room.cluster(NOW - 30 * HOUR, Copy("BBC", "Ukraine talks stall"))
    room.cluster(NOW - 5 * HOUR, Copy("BBC", "Ukraine talks resume"))
    room.cluster(NOW - 2 * HOUR, Copy("BBC", "Ukraine grain deal signed"))
    room.cluster(NOW - HOUR, Copy("BBC", "Tariff row deepens"))

    with db.session() as session:
        assert recent_matches(session, "ukraine", now=NOW) == (2, "Ukraine grain deal signed")
        assert recent_matches(session, "election", now=NOW) == (0, None)
        assert recent_matches(session, "ukraine", now=NOW, window=48 * HOUR)[0] == 3
        with pytest.raises(QueryError):
            recent_matches(session, "((", now=NOW)


def test_recent_matches_keeps_a_rolling_day_without_reanalyzing(db, room, monkeypatch):
    analyzed = []
    real = candidates.analyze_story
    monkeypatch.setattr(
        candidates, "analyze_story", lambda story: analyzed.append(story.title) or real(story)
    )
    room.cluster(NOW - 20 * HOUR, Copy("BBC", "Ukraine talks resume"))
    room.cluster(NOW - 2 * HOUR, Copy("BBC", "Ukraine grain deal signed"))
    with db.session() as session:
        assert recent_matches(session, "ukraine", now=NOW) == (2, "Ukraine grain deal signed")

    room.cluster(NOW + HOUR, Copy("BBC", "Ukraine power restored"))
    later = NOW + 6 * HOUR  # the first story is now older than a day
    with db.session() as session:
        assert recent_matches(session, "ukraine", now=later) == (2, "Ukraine power restored")
        assert recent_matches(session, "grain", now=later) == (1, "Ukraine grain deal signed")

    assert sorted(analyzed) == [
        "Ukraine grain deal signed",
        "Ukraine power restored",
        "Ukraine talks resume",
    ]
