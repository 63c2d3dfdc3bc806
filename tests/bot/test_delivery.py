"""Delivery through the outbox, against the strict fake Telegram over PTB's real HTTP stack:
every message once and in order, under 429 storms, blocked chats, migrated groups,
network faults and a restart mid-digest."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from telegram.ext import ExtBot

from bot.delivery.outbox import enqueue_digest, enqueue_message
from bot.delivery.pacing import PacingLimits, TelegramPacer
from bot.delivery.sender import OutboxSender
from digests.compose.model import DigestItem, DigestPlan, TopicSection
from digests.storage import Database
from digests.storage.models import Cluster, Delivery, Digest, OutboxMessage, Subscriber
from tests.support.fake_telegram import FakeTelegram

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


class Clock:
    """The sender's clock, moved by the test."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def add_subscriber(db: Database, chat_id: int, chat_type: str = "private") -> int:
    with db.session() as session:
        subscriber = Subscriber(chat_id=chat_id, chat_type=chat_type, name=f"chat {chat_id}")
        session.add(subscriber)
        session.flush()
        return subscriber.id


def plan_for(cluster_ids: list[int]) -> DigestPlan:
    items = tuple(
        DigestItem(
            cluster_id=cid,
            story_id=cid,
            title=f"Story {cid}",
            url=f"https://news.example/{cid}",
            sources=("Example News",),
            published=NOW,
            summary=(),
            topic="news",
            matched=("news",),
            score=1.0,
        )
        for cid in cluster_ids
    )
    return DigestPlan(NOW - timedelta(days=1), NOW, (TopicSection("news", items),))


def queue_digest(
    db: Database, subscriber_id: int, texts: list[str], *, due_at: datetime = NOW
) -> int:
    with db.session() as session:
        cluster = Cluster(first_seen_at=NOW)
        session.add(cluster)
        session.flush()
        subscriber = session.get(Subscriber, subscriber_id)
        assert subscriber is not None
        digest = enqueue_digest(session, subscriber, plan_for([cluster.id]), texts, due_at=due_at)
        return digest.id


def parts(chat_id: int, n: int = 3) -> list[str]:
    return [f"<b>Digest for {chat_id}</b> part {i} of {n} &amp; more" for i in range(1, n + 1)]


def visible(texts: list[str]) -> list[str]:
    return [t.replace("<b>", "").replace("</b>", "").replace("&amp;", "&") for t in texts]


def outbox(db: Database) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def subscriber(db: Database, subscriber_id: int) -> Subscriber:
    with db.session() as session:
        found = session.get(Subscriber, subscriber_id)
        assert found is not None
        return found


async def eventually(condition: Callable[[], bool], within: float = 10.0) -> None:
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


@pytest.fixture
async def bot(fake_telegram: FakeTelegram):
    async with fake_telegram.bot() as bot:
        yield bot


# Where pacing is not what a test is about, the per-chat limit is raised on both sides.
QUICK = PacingLimits(private=50)


@pytest.fixture
def quick_fake():
    with FakeTelegram(private_per_second=50) as fake:
        yield fake


@pytest.fixture
async def quick_bot(quick_fake: FakeTelegram):
    async with quick_fake.bot() as bot:
        yield bot


async def test_a_digest_arrives_in_order_exactly_once(
    db: Database, fake_telegram: FakeTelegram, bot
) -> None:
    fake_telegram.add_chat(5)
    sub = add_subscriber(db, 5)
    digest_id = queue_digest(db, sub, parts(5))
    clock = Clock()
    sender = OutboxSender(db, bot, clock=clock)

    report = await sender.send_pending()

    assert (report.sent, report.retried, report.dropped, report.failed) == (3, 0, 0, 0)
    sent = fake_telegram.sent_to(5)
    assert [m.plain for m in sent] == visible(parts(5))
    assert all(m.parse_mode == "HTML" and m.link_preview_disabled for m in sent)
    rows = outbox(db)
    assert [r.status for r in rows] == ["sent"] * 3
    assert [r.telegram_message_id for r in rows] == [m.message_id for m in sent]
    assert all(r.sent_at == NOW for r in rows)
    with db.session() as session:
        assert session.get(Digest, digest_id).status == "sent"
    assert fake_telegram.errors() == []
    # Nothing twice.
    assert (await sender.send_pending()).sent == 0
    assert len(fake_telegram.calls("sendMessage")) == 3


async def test_enqueueing_the_same_slot_twice_queues_it_once(db: Database) -> None:
    sub = add_subscriber(db, 5)
    first = queue_digest(db, sub, parts(5))
    second = queue_digest(db, sub, parts(5, 2))
    assert first == second
    assert len(outbox(db)) == 3
    with db.session() as session:
        assert len(session.scalars(select(Delivery)).all()) == 1
        empty = enqueue_digest(
            session, session.get(Subscriber, sub), plan_for([]), [], due_at=NOW + timedelta(1)
        )
        assert empty.status == "empty"


async def test_a_429_storm_delays_but_loses_and_doubles_nothing(
    db: Database, fake_telegram: FakeTelegram, bot
) -> None:
    chats = [11, 12, 13]
    for chat in chats:
        fake_telegram.add_chat(chat)
        queue_digest(db, add_subscriber(db, chat), parts(chat, 2))
    fake_telegram.storm_429(seconds=1.0, retry_after=1)

    report = await OutboxSender(db, bot, clock=Clock()).send_pending()

    assert report.sent == 6
    for chat in chats:
        assert fake_telegram.texts(chat) == visible(parts(chat, 2))
    assert fake_telegram.errors(429), "the storm happened"
    assert {r.status for r in fake_telegram.errors()} == {429}
    assert [r.status for r in outbox(db)] == ["sent"] * 6


async def test_a_storm_longer_than_the_retries_waits_for_a_later_call(
    db: Database, quick_fake: FakeTelegram, quick_bot
) -> None:
    quick_fake.add_chat(5)
    queue_digest(db, add_subscriber(db, 5), parts(5, 2))
    quick_fake.storm_429(seconds=60, retry_after=1)
    clock = Clock()
    sender = OutboxSender(
        db, quick_bot, clock=clock, pacer=TelegramPacer(PacingLimits(private=50, max_retries=0))
    )

    report = await sender.send_pending()

    assert (report.sent, report.retried) == (0, 1)
    first, second = outbox(db)
    assert first.status == second.status == "pending"
    assert first.next_attempt_at == NOW + timedelta(seconds=1)
    assert len(quick_fake.calls("sendMessage")) == 1  # part 2 never jumped ahead
    quick_fake.clear_faults()
    assert (await sender.send_pending()).sent == 0  # not due yet
    clock.now += timedelta(seconds=1)
    assert (await sender.send_pending()).sent == 2
    assert quick_fake.texts(5) == visible(parts(5, 2))


async def test_a_blocked_user_is_retired_and_others_unaffected(
    db: Database, quick_fake: FakeTelegram, quick_bot
) -> None:
    for chat in (5, 6):
        quick_fake.add_chat(chat)
    blocked = add_subscriber(db, 5)
    fine = add_subscriber(db, 6)
    gone = add_subscriber(db, 7)  # a chat Telegram does not know
    blocked_digest = queue_digest(db, blocked, parts(5))
    queue_digest(db, fine, parts(6))
    queue_digest(db, gone, parts(7, 1))
    quick_fake.block(5)
    sender = OutboxSender(db, quick_bot, clock=Clock(), pacer=TelegramPacer(QUICK))

    report = await sender.send_pending()

    assert (report.sent, report.dropped, report.failed) == (3, 4, 0)
    assert quick_fake.texts(6) == visible(parts(6))
    assert quick_fake.sent_to(5) == []
    retired = subscriber(db, blocked)
    assert not retired.active
    assert "blocked" in retired.inactive_reason
    assert not subscriber(db, gone).active
    assert "not found" in subscriber(db, gone).inactive_reason.lower()
    assert subscriber(db, fine).active
    with db.session() as session:
        statuses = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.subscriber_id == blocked)
        ).all()
        assert statuses == ["dropped"] * 3
        assert session.get(Digest, blocked_digest).status == "failed"
    # Nothing more is tried for the blocked chat.
    calls_to_5 = [r for r in quick_fake.calls("sendMessage") if r.chat_id == 5]
    assert len(calls_to_5) == 1
    await sender.send_pending()
    assert len([r for r in quick_fake.calls("sendMessage") if r.chat_id == 5]) == 1


async def test_a_group_that_became_a_supergroup_is_followed(
    db: Database, quick_fake: FakeTelegram, quick_bot
) -> None:
    quick_fake.add_chat(-55, "group", title="Newsroom")
    quick_fake.migrate(-55, -1000000000055)
    sub = add_subscriber(db, -55, "group")
    queue_digest(db, sub, parts(-55, 2))

    report = await OutboxSender(
        db, quick_bot, clock=Clock(), pacer=TelegramPacer(QUICK)
    ).send_pending()

    assert report.sent == 2
    assert quick_fake.texts(-1000000000055) == visible(parts(-55, 2))
    moved = subscriber(db, sub)
    assert (moved.chat_id, moved.chat_type, moved.active) == (-1000000000055, "supergroup", True)
    assert {r.chat_id for r in outbox(db)} == {-1000000000055}


async def test_a_group_moving_onto_a_subscribed_supergroup_is_retired(
    quick_fake: FakeTelegram, quick_bot, db: Database
) -> None:
    quick_fake.migrate(-56, -1000000000056)
    old = add_subscriber(db, -56, "group")
    new = add_subscriber(db, -1000000000056, "supergroup")
    queue_digest(db, old, parts(-56, 2))

    report = await OutboxSender(
        db, quick_bot, clock=Clock(), pacer=TelegramPacer(QUICK)
    ).send_pending()

    assert (report.sent, report.dropped) == (0, 2)
    assert not subscriber(db, old).active
    assert subscriber(db, new).active
    assert quick_fake.sent_to(-1000000000056) == []


async def test_network_errors_back_off_and_retry_later(
    db: Database, quick_fake: FakeTelegram, quick_bot
) -> None:
    quick_fake.add_chat(5)
    queue_digest(db, add_subscriber(db, 5), parts(5, 2))
    quick_fake.fail_next(1, 502, methods=["sendMessage"])
    clock = Clock()
    sender = OutboxSender(db, quick_bot, clock=clock, pacer=TelegramPacer(QUICK))

    report = await sender.send_pending()
    assert (report.sent, report.retried) == (0, 1)
    first = outbox(db)[0]
    assert (first.attempts, first.next_attempt_at) == (1, NOW + timedelta(seconds=30))
    assert "Bad Gateway" in first.last_error

    quick_fake.fail_next(1, 500, methods=["sendMessage"])
    clock.now += timedelta(seconds=30)
    assert (await sender.send_pending()).retried == 1
    assert outbox(db)[0].next_attempt_at == clock.now + timedelta(seconds=60)  # doubled

    clock.now += timedelta(seconds=60)
    assert (await sender.send_pending()).sent == 2
    assert quick_fake.texts(5) == visible(parts(5, 2))


async def test_giving_up_is_recorded_not_silent(
    db: Database, quick_fake: FakeTelegram, quick_bot, caplog: pytest.LogCaptureFixture
) -> None:
    quick_fake.add_chat(5)
    sub = add_subscriber(db, 5)
    digest_id = queue_digest(db, sub, parts(5, 2))
    quick_fake.fail_next(2, 500, methods=["sendMessage"])
    clock = Clock()
    sender = OutboxSender(db, quick_bot, clock=clock, max_attempts=2, pacer=TelegramPacer(QUICK))

    await sender.send_pending()
    clock.now += timedelta(minutes=5)
    report = await sender.send_pending()

    assert (report.failed, report.sent) == (1, 1)  # the next part still goes out
    first, second = outbox(db)
    assert (first.status, second.status) == ("failed", "sent")
    assert "500" in first.last_error or "Internal" in first.last_error
    assert f"outbox message {first.id} failed" in caplog.text
    with db.session() as session:
        assert session.get(Digest, digest_id).status == "failed"


async def test_html_telegram_refuses_goes_out_as_plain_text(
    db: Database, quick_fake: FakeTelegram, quick_bot, caplog: pytest.LogCaptureFixture
) -> None:
    quick_fake.add_chat(5)
    sub = add_subscriber(db, 5)
    with db.session() as session:
        row = enqueue_message(session, session.get(Subscriber, sub), "<b>Prices</b> for 2 < 3")
        row_id = row.id

    report = await OutboxSender(
        db, quick_bot, clock=Clock(), pacer=TelegramPacer(QUICK)
    ).send_pending()

    assert report.sent == 1
    [message] = quick_fake.sent_to(5)
    assert (message.plain, message.parse_mode) == ("Prices for 2 < 3", None)
    assert f"outbox message {row_id} refused by Telegram" in caplog.text
    assert outbox(db)[0].last_error == "sent as plain text"


async def test_a_restart_mid_digest_sends_only_the_rest(
    db: Database, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.add_chat(5)
    queue_digest(db, add_subscriber(db, 5), parts(5))
    first_bot = fake_telegram.bot()
    await first_bot.initialize()
    task = asyncio.create_task(OutboxSender(db, first_bot, clock=Clock()).send_pending())
    await eventually(lambda: len(fake_telegram.sent_to(5)) == 1)
    # Part 2 hangs on the wire; the process dies while waiting for it.
    fake_telegram.hang_next(1, seconds=3)
    await eventually(lambda: len(fake_telegram.calls("sendMessage")) == 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await first_bot.shutdown()
    assert [r.status for r in outbox(db)] == ["sent", "pending", "pending"]

    async with fake_telegram.bot() as second_bot:
        report = await OutboxSender(db, second_bot, clock=Clock()).send_pending()

    assert report.sent == 2
    assert fake_telegram.texts(5) == visible(parts(5))


async def test_two_senders_at_once_send_nothing_twice(
    db: Database, quick_fake: FakeTelegram, quick_bot
) -> None:
    for chat in (5, 6):
        quick_fake.add_chat(chat)
        queue_digest(db, add_subscriber(db, chat), parts(chat, 2))
    reports = await asyncio.gather(
        OutboxSender(db, quick_bot, clock=Clock(), pacer=TelegramPacer(QUICK)).send_pending(),
        OutboxSender(db, quick_bot, clock=Clock(), pacer=TelegramPacer(QUICK)).send_pending(),
    )
    assert sum(r.sent for r in reports) == 4
    assert quick_fake.texts(5) == visible(parts(5, 2))
    assert quick_fake.texts(6) == visible(parts(6, 2))


async def test_the_pacer_as_the_bots_rate_limiter_paces_replies_and_digests(
    db: Database, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.add_chat(5)
    fake_telegram.add_chat(-77)
    queue_digest(db, add_subscriber(db, 5), parts(5, 1))
    pacer = TelegramPacer()
    bot = ExtBot(fake_telegram.token, base_url=fake_telegram.bot_api_url, rate_limiter=pacer)
    async with bot:
        sender = OutboxSender(db, bot, clock=Clock())
        assert sender.pacer is None  # the bot paces every request itself
        # A command reply and a digest racing for one private chat, and a burst to a
        # group: the same buckets pace them all, nothing is refused.
        await asyncio.gather(bot.send_message(5, "reply"), sender.send_pending())
        await asyncio.gather(*(bot.send_message(-77, f"group {i}") for i in range(3)))
    assert sorted(fake_telegram.texts(5)) == sorted(["reply", *visible(parts(5, 1))])
    assert len(fake_telegram.texts(-77)) == 3
    assert fake_telegram.errors() == []


async def test_five_hundred_subscribers_at_once(db: Database) -> None:
    # Telegram's per-chat limit as it is; the overall limit raised (on both sides) so
    # the test stays quick. Every 25th chat gets a two-part digest.
    with FakeTelegram(global_per_second=500) as fake:
        chats = list(range(1000, 1500))
        expected = {chat: parts(chat, 2 if chat % 25 == 0 else 1) for chat in chats}
        with db.session() as session:
            for chat in chats:
                fake.add_chat(chat)
                sub = Subscriber(chat_id=chat, chat_type="private")
                cluster = Cluster(first_seen_at=NOW)
                session.add_all([sub, cluster])
                session.flush()
                enqueue_digest(session, sub, plan_for([cluster.id]), expected[chat], due_at=NOW)
        pacer = TelegramPacer(PacingLimits(overall=400))
        clock = Clock()
        sent = 0
        async with fake.bot() as bot:
            sender = OutboxSender(db, bot, clock=clock, pacer=pacer)
            # A message whose request failed on the way (a loaded machine) is retried on a
            # later round, as in the running bot: what counts is exactly once in the end.
            for _round in range(5):
                report = await sender.send_pending()
                sent += report.sent
                if sent >= 520 or not report.retried:
                    break
                clock.now += timedelta(hours=1)

        assert sent == 520
        assert fake.errors() == []  # no flood limit was ever crossed
        for chat in chats:
            sent = fake.sent_to(chat)
            assert [m.plain for m in sent] == visible(expected[chat])
            if len(sent) == 2:
                assert sent[1].time - sent[0].time >= 1.0
        assert {r.status for r in outbox(db)} == {"sent"}


async def test_a_stopping_sender_starts_no_new_message(db: Database) -> None:
    import threading

    with FakeTelegram(private_per_second=50) as fake:
        fake.add_chat(42)
        with db.session() as session:
            sub = Subscriber(chat_id=42, chat_type="private")
            cluster = Cluster(first_seen_at=NOW)
            session.add_all([sub, cluster])
            session.flush()
            enqueue_digest(session, sub, plan_for([cluster.id]), parts(42, 3), due_at=NOW)
        stop = threading.Event()
        stop.set()
        async with fake.bot() as bot:
            stopped = await OutboxSender(db, bot, clock=Clock(), stop=stop).send_pending()
            assert stopped.sent == 0 and fake.sent_to(42) == []
            # The next run (after a restart) sends them all, once.
            resumed = await OutboxSender(db, bot, clock=Clock()).send_pending()
        assert resumed.sent == 3
        assert [m.plain for m in fake.sent_to(42)] == visible(parts(42, 3))
