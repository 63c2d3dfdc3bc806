"""Scheduled digests with a controllable clock: the right local hour across DST changes,
missed digests within and beyond the grace period, reminders, nothing sent twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.scheduling import NO_TOPICS_REMINDER, NOTHING_NEW_NOTE, next_digest_time, send_due_digests
from digests.config import Settings
from digests.storage import Database
from digests.storage.models import Digest, Subscriber, Topic
from tests.bot.botrun import TestClock, add_story
from tests.support.fake_telegram import FakeTelegram

CHAT = 5005


def add_subscriber(
    db: Database,
    chat_id: int,
    *,
    topics: list[str],
    digest_time: str = "08:00",
    timezone: str = "Europe/Kyiv",
    next_digest_at: datetime,
    notify_empty: bool = False,
) -> int:
    with db.session() as session:
        subscriber = Subscriber(
            chat_id=chat_id,
            digest_time=digest_time,
            timezone=timezone,
            next_digest_at=next_digest_at,
            notify_empty=notify_empty,
            topics=[Topic(query=query, position=i) for i, query in enumerate(topics, start=1)],
        )
        session.add(subscriber)
        session.flush()
        return subscriber.id


@pytest.fixture
async def telegram_bot(fake_telegram: FakeTelegram) -> AsyncIterator[object]:
    bot = fake_telegram.bot()
    async with bot:
        yield bot


async def tick(db: Database, bot: object, settings: Settings, clock: TestClock) -> int:
    return await send_due_digests(db, bot, settings, now=clock(), clock=clock)


@pytest.mark.parametrize(
    ("day_before", "change_day", "hours_between"),
    [
        (datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 29, tzinfo=UTC), 23),  # EET→EEST
        (datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 25, tzinfo=UTC), 25),  # EEST→EET
    ],
)
async def test_a_0800_digest_arrives_at_0800_kyiv_time_on_both_sides_of_a_dst_change(
    db: Database,
    fake_telegram: FakeTelegram,
    telegram_bot: object,
    bot_settings: Settings,
    clock: TestClock,
    day_before: datetime,
    change_day: datetime,
    hours_between: int,
) -> None:
    fake_telegram.add_chat(CHAT)
    clock.set(day_before)  # midnight UTC: 02:00 or 03:00 in Kyiv
    first_slot = next_digest_time("08:00", "Europe/Kyiv", clock.now)
    add_subscriber(db, CHAT, topics=["ukraine"], next_digest_at=first_slot)
    add_story(db, "Ukraine day one", ["First."], first_seen_at=clock.now + timedelta(hours=1))

    clock.set(first_slot - timedelta(seconds=1))
    assert await tick(db, telegram_bot, bot_settings, clock) == 0
    assert fake_telegram.texts(CHAT) == []
    clock.set(first_slot)
    assert await tick(db, telegram_bot, bot_settings, clock) == 1
    (first,) = fake_telegram.texts(CHAT)
    assert "Ukraine day one" in first

    second_slot = first_slot + timedelta(hours=hours_between)
    add_story(db, "Ukraine day two", ["Second."], first_seen_at=change_day + timedelta(hours=1))
    clock.set(second_slot - timedelta(seconds=1))
    assert await tick(db, telegram_bot, bot_settings, clock) == 0
    clock.set(second_slot)
    assert await tick(db, telegram_bot, bot_settings, clock) == 1
    texts = fake_telegram.texts(CHAT)
    assert len(texts) == 2
    assert "Ukraine day two" in texts[1] and "Ukraine day one" not in texts[1]
    for slot in (first_slot, second_slot):
        assert slot.astimezone(ZoneInfo("Europe/Kyiv")).strftime("%H:%M") == "08:00"


async def test_missed_digest_is_sent_once_within_grace_and_skipped_beyond_it(
    db: Database,
    fake_telegram: FakeTelegram,
    telegram_bot: object,
    bot_settings: Settings,
    clock: TestClock,
) -> None:
    recent, stale = 6001, 6002
    for chat in (recent, stale):
        fake_telegram.add_chat(chat)
    add_story(
        db, "Ukraine overnight news", ["Night."], first_seen_at=clock.now - timedelta(hours=9)
    )
    # The bot was down: one slot fell due 2 h ago (grace 6 h), another 7 h ago.
    add_subscriber(
        db,
        recent,
        topics=["ukraine"],
        timezone="UTC",
        digest_time="08:00",
        next_digest_at=clock.now - timedelta(hours=2),
    )
    add_subscriber(
        db,
        stale,
        topics=["ukraine"],
        timezone="UTC",
        digest_time="03:00",
        next_digest_at=clock.now - timedelta(hours=7),
    )
    assert await tick(db, telegram_bot, bot_settings, clock) == 1
    assert len(fake_telegram.texts(recent)) == 1
    assert fake_telegram.texts(stale) == []
    with db.session() as session:
        slots = dict(session.execute(select(Subscriber.chat_id, Subscriber.next_digest_at)).all())
    assert slots[recent] == datetime(2026, 5, 5, 8, 0, tzinfo=UTC)
    assert slots[stale] == datetime(2026, 5, 5, 3, 0, tzinfo=UTC)
    # A restart a minute later (another tick) sends nothing again.
    clock.advance(timedelta(minutes=1))
    assert await tick(db, telegram_bot, bot_settings, clock) == 0
    assert len(fake_telegram.texts(recent)) == 1


async def test_no_topics_gets_one_reminder_not_a_daily_nag(
    db: Database,
    fake_telegram: FakeTelegram,
    telegram_bot: object,
    bot_settings: Settings,
    clock: TestClock,
) -> None:
    fake_telegram.add_chat(CHAT)
    add_subscriber(db, CHAT, topics=[], timezone="UTC", next_digest_at=clock.now)
    assert await tick(db, telegram_bot, bot_settings, clock) == 1
    assert fake_telegram.texts(CHAT) == [NO_TOPICS_REMINDER]
    clock.advance(timedelta(days=1))
    assert await tick(db, telegram_bot, bot_settings, clock) == 0
    clock.advance(timedelta(days=1))
    assert await tick(db, telegram_bot, bot_settings, clock) == 0
    assert len(fake_telegram.texts(CHAT)) == 1


@pytest.mark.parametrize("notify_empty", [False, True])
async def test_a_quiet_day_sends_nothing_unless_asked(
    db: Database,
    fake_telegram: FakeTelegram,
    telegram_bot: object,
    bot_settings: Settings,
    clock: TestClock,
    notify_empty: bool,
) -> None:
    fake_telegram.add_chat(CHAT)
    add_story(db, "Climate talks", ["Coal."], first_seen_at=clock.now - timedelta(hours=1))
    add_subscriber(
        db,
        CHAT,
        topics=["ukraine"],
        timezone="UTC",
        digest_time="10:00",
        next_digest_at=clock.now,
        notify_empty=notify_empty,
    )
    await tick(db, telegram_bot, bot_settings, clock)
    assert fake_telegram.texts(CHAT) == ([NOTHING_NEW_NOTE] if notify_empty else [])
    with db.session() as session:
        subscriber = session.scalar(select(Subscriber))
        assert subscriber.last_digest_at == clock.now
        assert subscriber.next_digest_at == clock.now + timedelta(days=1)


async def test_two_ticks_at_once_send_each_digest_once(
    db: Database,
    fake_telegram: FakeTelegram,
    telegram_bot: object,
    bot_settings: Settings,
    clock: TestClock,
) -> None:
    chats = list(range(7001, 7006))
    for chat in chats:
        fake_telegram.add_chat(chat)
        add_subscriber(db, chat, topics=["ukraine"], timezone="UTC", next_digest_at=clock.now)
    add_story(db, "Ukraine at dawn", ["Early."], first_seen_at=clock.now - timedelta(hours=1))
    await asyncio.gather(
        send_due_digests(db, None, bot_settings, now=clock()),
        send_due_digests(db, None, bot_settings, now=clock()),
    )
    await tick(db, telegram_bot, bot_settings, clock)
    for chat in chats:
        assert len(fake_telegram.texts(chat)) == 1
    with db.session() as session:
        assert session.scalar(select(func.count(Digest.id))) == len(chats)


def test_500_subscribers_due_at_once_are_all_queued_in_one_tick(
    db: Database, bot_settings: Settings, clock: TestClock
) -> None:
    from bot.scheduling import queue_due_digests
    from digests.storage.models import OutboxMessage

    for number in range(20):
        add_story(
            db,
            f"Ukraine story number {number}" if number % 2 else f"Climate story number {number}",
            ["A sentence.", "Another sentence."],
            first_seen_at=clock.now - timedelta(minutes=5 * number + 1),
        )
    with db.session() as session:
        for chat in range(100_000, 100_500):
            topics = ["ukraine"] if chat % 5 else ["climate", "ukraine"]
            session.add(
                Subscriber(
                    chat_id=chat,
                    timezone="UTC",
                    digest_time="10:00",
                    next_digest_at=clock.now,
                    topics=[Topic(query=q, position=i) for i, q in enumerate(topics)],
                )
            )
    report = queue_due_digests(db, bot_settings, now=clock.now)
    assert (report.due, report.queued, report.failed) == (500, 500, 0)
    again = queue_due_digests(db, bot_settings, now=clock.now)
    assert again.due == 0
    with db.session() as session:
        assert session.scalar(select(func.count(Digest.id))) == 500
        chats = session.scalars(select(OutboxMessage.chat_id)).all()
        assert sorted(set(chats)) == list(range(100_000, 100_500))


async def test_a_fixed_offset_zone_gets_its_digest_at_its_own_hour(
    db: Database,
    fake_telegram: FakeTelegram,
    telegram_bot: object,
    bot_settings: Settings,
    clock: TestClock,
) -> None:
    fake_telegram.add_chat(CHAT)
    add_story(db, "Ukraine in the evening", ["Late."], first_seen_at=clock.now - timedelta(hours=2))
    # 06:30 at UTC-03:30 is 10:00 UTC, the clock's time.
    slot = next_digest_time("06:30", "UTC-03:30", clock.now - timedelta(minutes=1))
    assert slot == clock.now
    add_subscriber(
        db, CHAT, topics=["ukraine"], digest_time="06:30", timezone="UTC-03:30", next_digest_at=slot
    )
    assert await tick(db, telegram_bot, bot_settings, clock) == 1
    (digest,) = fake_telegram.texts(CHAT)
    assert "Ukraine in the evening" in digest
