"""Commands with bad arguments, admin commands, fallbacks and the error handler, against
the real bot and the fake Telegram."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram.ext import Application

from digests.storage import Database
from digests.storage.models import Feed, Subscriber, Topic
from tests.bot.botrun import Conversation, TestClock, add_story, wait_until
from tests.bot.conftest import ADMIN_CHAT_ID
from tests.support.fake_telegram import FakeTelegram

USER = 3003
GROUP = -100777


@pytest.mark.parametrize(
    ("command", "says", "example"),
    [
        ("/time 25:99", "hours go from 00 to 23", "/time 08:30"),
        ("/time soon", "is not a time of day", "/time 08:30"),
        (
            "/timezone Mars/Olympus",
            "I don't know the time zone “Mars/Olympus”",
            "/timezone Europe/Kyiv",
        ),
        ("/timezone UTC+19", "UTC-12 to UTC+14", "/timezone Europe/Kyiv"),
        ("/topic", "You follow no topics yet", "/topic ukraine"),
        ("/untopic", "Which topic?", "/untopic 1"),
        ("/untopic 7", "You don't follow “7”", "/untopic 1"),
        ("/settings items 99", "from 1 to 30 (got 99)", "/settings items 5"),
        ("/settings empty maybe", "Say on or off", "/settings empty on"),
        ("/settings colour blue", "I can't change “colour”", "/settings items 5"),
    ],
)
async def test_bad_arguments_say_what_is_wrong_and_show_an_example(
    running_app: Application, fake_telegram: FakeTelegram, command: str, says: str, example: str
) -> None:
    user = Conversation(fake_telegram, USER)
    (answer,) = await user.send(command)
    assert says in answer
    assert example in answer


async def test_a_huge_topic_is_refused_and_nothing_is_stored(
    running_app: Application, fake_telegram: FakeTelegram, db: Database
) -> None:
    user = Conversation(fake_telegram, USER)
    await user.send("/start")
    (answer,) = await user.send("/topic " + "war " * 1250)
    assert "at most 100 characters" in answer and "/topic ukraine" in answer
    assert len(answer) < 500
    with db.session() as session:
        assert session.scalars(select(Topic)).all() == []


async def test_user_text_is_escaped_when_echoed(
    running_app: Application, fake_telegram: FakeTelegram
) -> None:
    user = Conversation(fake_telegram, USER)
    (answer,) = await user.send("/timezone <b>Mars</b>&co")
    assert "<b>Mars</b>&co" in answer  # shown as typed: the fake accepted the escaped HTML
    (answer,) = await user.send("/frobnicate<i>")
    assert "/frobnicate<i>" in answer


async def test_topics_by_number_and_by_name(
    running_app: Application, fake_telegram: FakeTelegram
) -> None:
    user = Conversation(fake_telegram, USER)
    await user.send("/topic ukraine")
    await user.send("/topic climate")
    await user.send("/topic elections")
    (answer,) = await user.send("/untopic 2")
    assert "Stopped following climate" in answer
    (answer,) = await user.send("/untopic UKRAINE")
    assert "Stopped following ukraine" in answer
    (answer,) = await user.send("/topic elections")
    assert "You already follow" in answer and "elections" in answer


async def test_stop_keeps_settings_and_start_resumes(
    running_app: Application, fake_telegram: FakeTelegram, db: Database, clock: TestClock
) -> None:
    user = Conversation(fake_telegram, USER)
    await user.send("/start")
    await user.send("/topic ukraine")
    await user.send("/time 21:15")
    (stopped,) = await user.send("/stop")
    assert "kept" in stopped
    (nothing,) = await user.send("/digest")
    assert "/start" in nothing
    clock.advance(timedelta(days=3))
    (back,) = await user.send("/start")
    assert "Welcome back" in back and "21:15" in back and "ukraine" in back
    with db.session() as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.chat_id == USER))
        assert subscriber.active
        # No backlog of the stopped days: the next slot is the next 21:15 from now.
        assert clock.now < subscriber.next_digest_at <= clock.now + timedelta(days=1)


async def test_unknown_commands_and_plain_text_get_a_hint(
    running_app: Application, fake_telegram: FakeTelegram
) -> None:
    user = Conversation(fake_telegram, USER)
    (answer,) = await user.send("/weather")
    assert "I don't know /weather" in answer and "/help" in answer
    (answer,) = await user.send("what's new about ukraine?")
    assert "/topic" in answer and "/help" in answer
    (help_text,) = await user.send("/help")
    assert "/untopic" in help_text and "/addfeed" not in help_text


async def test_commands_work_in_groups_with_the_bot_name(
    running_app: Application, fake_telegram: FakeTelegram, db: Database
) -> None:
    group = Conversation(fake_telegram, GROUP, chat_type="supergroup")
    (welcome,) = await group.send(f"/start@{fake_telegram.bot_username}")
    assert "daily digest" in welcome
    (answer,) = await group.send(f"/topic@{fake_telegram.bot_username} ukraine")
    assert "Following ukraine" in answer
    with db.session() as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.chat_id == GROUP))
        assert subscriber.chat_type == "supergroup"
        assert [topic.query for topic in subscriber.topics] == ["ukraine"]
    # A command for another bot is not ours to answer; ours still works after it.
    fake_telegram.push_message(GROUP, "/start@some_other_bot", chat_type="supergroup")
    (answer,) = await group.send(f"/topics@{fake_telegram.bot_username}")
    assert "1. ukraine" in answer


async def test_admin_commands(
    running_app: Application, fake_telegram: FakeTelegram, db: Database, clock: TestClock, web
) -> None:
    add_story(db, "Ukraine talks", ["Delegations met."], first_seen_at=clock.now)
    user = Conversation(fake_telegram, USER)
    (refused,) = await user.send("/stats")
    assert "only the bot's administrators" in refused
    (refused,) = await user.send("/addfeed https://example.com/rss")
    assert "only the bot's administrators" in refused

    admin = Conversation(fake_telegram, ADMIN_CHAT_ID)
    await admin.send("/start")
    await admin.send("/topic ukraine")
    (stats,) = await admin.send("/stats")
    assert "Subscribers: 1 active of 1" in stats
    assert "Topics followed (active subscribers): 1" in stats
    assert "1 new stories" in stats

    feed_url = web.add(
        "/feed.xml",
        """<?xml version="1.0"?><rss version="2.0"><channel><title>Local &amp; Test News</title>
        <link>http://example.invalid/</link><description>d</description>
        <item><title>One</title><link>http://example.invalid/1</link><guid>1</guid></item>
        </channel></rss>""",
        content_type="application/rss+xml",
    )
    (added,) = await admin.send(f"/addfeed {feed_url}")
    assert "Added" in added and "Local & Test News" in added
    (sources,) = await admin.send("/sources")
    assert "Local & Test News — not polled yet" in sources
    with db.session() as session:
        feed = session.scalar(select(Feed).where(Feed.title == "Local & Test News"))
        feed.consecutive_failures = 3
        feed.last_error = "HTTP 503 <Service Unavailable>"
        feed.last_success_at = clock.now - timedelta(hours=5)
        feed_id = feed.id
    (sources,) = await admin.send("/sources")
    assert "failing 3× (last ok 5 h ago): HTTP 503 <Service Unavailable>" in sources
    (bad,) = await admin.send("/addfeed not a url")
    assert "Could not add it" in bad
    (removed,) = await admin.send(f"/removefeed {feed_id}")
    assert "Removed" in removed
    (unknown,) = await admin.send(f"/removefeed {feed_id}")
    assert "Could not remove it" in unknown and "/removefeed 3" in unknown


async def test_a_failing_handler_is_logged_with_the_update_id_and_the_user_gets_an_apology(
    running_app: Application,
    fake_telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import bot.handlers.topics

    def broken(*args: object, **kwargs: object) -> tuple[int, str | None]:
        raise RuntimeError("the matcher fell over")

    monkeypatch.setattr(bot.handlers.topics, "recent_matches", broken)
    user = Conversation(fake_telegram, USER)
    (answer,) = await user.send("/topic ukraine")
    assert "Sorry, something went wrong" in answer
    assert "Traceback" not in answer and "matcher" not in answer
    failures = [r for r in caplog.records if "failed" in r.getMessage() and r.exc_info]
    assert any(str(user.last_update_id) in r.getMessage() for r in failures)
    # The bot goes on answering.
    (help_text,) = await user.send("/help")
    assert "/topic" in help_text


async def test_a_user_who_blocked_the_bot_is_paused_and_start_brings_them_back(
    running_app: Application, fake_telegram: FakeTelegram, db: Database, clock: TestClock
) -> None:
    add_story(db, "Ukraine talks resume", ["Delegations met."], first_seen_at=clock.now)
    user = Conversation(fake_telegram, USER)
    await user.send("/topic ukraine")
    fake_telegram.block(USER)
    fake_telegram.push_message(USER, "/digest")
    await wait_until(lambda: bool(fake_telegram.errors(403)))

    def active() -> bool:
        with db.session() as session:
            return session.scalar(select(Subscriber.active).where(Subscriber.chat_id == USER))

    await wait_until(lambda: not active())
    fake_telegram.unblock(USER)
    (back,) = await user.send("/start")
    assert "Welcome back" in back and "ukraine" in back
    assert active()
