"""Figure 4 — delivery: digests to N subscribers through a local Bot API server that enforces
Telegram's flood limits in real time (30/s overall, 1/s per private chat, 20/min per group,
429 with retry_after past them), sent by the bot's own outbox sender and pacer.

Digests are rendered by the bot's renderer and queued with `enqueue_digest`, as the digest
tick does; a fifth of the subscribers get a long digest (3 messages), 5 % are groups. The
sender runs as the bot runs it (the application's `OutboxSender`, the application's
`TelegramPacer`), called again like the outbox job while anything is pending.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from benchmarks.botapi import LocalBotApi
from benchmarks.dbfill import insert_feeds, insert_subscribers
from benchmarks.report import BenchResult, Figure, say
from benchmarks.textgen import WordModel
from benchmarks.workspace import BENCH_TOKEN, workspace

TITLE = "4. Delivery"
SEED = 99
SIZES = {
    "full": {"subscribers": 3000, "long_share": 0.2, "group_share": 0.05},
    "quick": {"subscribers": 300, "long_share": 0.2, "group_share": 0.05},
}
LIMIT_PER_SECOND = 30


def _plans(db, now, clusters: int = 40):
    """Two digest plans over real clusters: a short one (1 message) and a long one
    (3 messages when rendered), with the rendered messages."""
    from bot.render import render_digest
    from digests.compose.model import DigestItem, DigestPlan, TopicSection
    from digests.storage.models import Cluster, Story

    words = WordModel(SEED)
    rows, items = [], []
    for n in range(clusters):
        subject = words.subject()
        title = words.title(subject)
        rows.append(
            {
                "url": f"https://site{n % 40:02d}.example/news/{n}",
                "canonical_url": f"https://site{n % 40:02d}.example/news/{n}",
                "title": title,
                "status": "extracted",
                "first_seen_at": now,
            }
        )
        items.append((title, subject))
    with db.session() as session:
        session.execute(insert(Story), rows)
        story_ids = list(session.scalars(select(Story.id).order_by(Story.id)))
        session.execute(
            insert(Cluster),
            [
                {"first_seen_at": now, "updated_at": now, "representative_story_id": sid}
                for sid in story_ids
            ],
        )
        cluster_ids = list(session.scalars(select(Cluster.id).order_by(Cluster.id)))

    def item(n: int, topic: str, sentences: int) -> DigestItem:
        title, subject = items[n]
        return DigestItem(
            cluster_id=cluster_ids[n],
            story_id=story_ids[n],
            title=title,
            url=rows[n]["url"],
            sources=(f"site{n % 40:02d}.example", "wire.example"),
            published=now - timedelta(hours=n % 12),
            summary=tuple(words.sentence(subject, words=40) for _ in range(sentences)),
            topic=topic,
            matched=(subject.country,),
            score=1.0 - n / 100,
        )

    zone = ZoneInfo("UTC")
    short = DigestPlan(
        since=now - timedelta(days=1),
        until=now,
        sections=(TopicSection("ukraine", tuple(item(n, "ukraine", 3) for n in range(3))),),
    )
    short_messages = render_digest(short, timezone=zone, now=now)
    long_messages: list[str] = []
    count = 6
    while len(long_messages) < 3 and count <= clusters:
        half = count // 2
        long = DigestPlan(
            since=now - timedelta(days=1),
            until=now,
            sections=(
                TopicSection("ukraine", tuple(item(n, "ukraine", 5) for n in range(half))),
                TopicSection(
                    "climate change",
                    tuple(item(n, "climate change", 5) for n in range(half, count)),
                ),
            ),
        )
        long_messages = render_digest(long, timezone=zone, now=now)
        count += 1
    return (short, short_messages), (long, long_messages)


def _enqueue(db, size, now) -> tuple[int, int]:
    from bot.delivery.outbox import enqueue_digest
    from digests.storage.models import Subscriber

    (short, short_msgs), (long, long_msgs) = _plans(db, now)
    rng = random.Random(SEED)
    messages = digests = 0
    with db.session() as session:
        for subscriber in session.scalars(select(Subscriber).order_by(Subscriber.id)):
            plan, texts = (
                (long, long_msgs) if rng.random() < size["long_share"] else (short, short_msgs)
            )
            enqueue_digest(session, subscriber, plan, texts, due_at=now)
            messages += len(texts)
            digests += 1
    return digests, messages


async def _send_all(application, db, deadline: float):
    from bot.jobs import SENDER_KEY
    from digests.storage.models import OutboxMessage

    sender = application.bot_data[SENDER_KEY]
    rounds = 0
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        rounds += 1
        await sender.send_pending()
        with db.session() as session:
            pending = session.scalar(select(func.count()).where(OutboxMessage.status == "pending"))
        if not pending:
            break
        await asyncio.sleep(1.0)  # the outbox job comes back for messages told to wait
    return time.perf_counter() - start, rounds


async def _deliver(settings, db, deadline: float):
    from bot.app import build_application

    application = build_application(settings, db, schedule=False)
    await application.initialize()
    try:
        return await _send_all(application, db, deadline)
    finally:
        await application.shutdown()


def run(quick: bool) -> BenchResult:
    from digests.storage.models import OutboxMessage, utcnow

    size = SIZES["quick" if quick else "full"]
    result = BenchResult("delivery", TITLE, params={**size, "seed": SEED})
    now = utcnow()
    with LocalBotApi() as api, workspace("delivery") as space:
        insert_feeds(space.db, 1)
        insert_subscribers(
            space.db, size["subscribers"], seed=SEED, group_share=size["group_share"]
        )
        say(f"delivery: rendering and queueing digests for {size['subscribers']} subscribers")
        digests, messages = _enqueue(space.db, size, now)
        settings = space.settings(
            telegram_bot_token=BENCH_TOKEN, telegram_api_base_url=api.base_url
        )
        ideal = messages / LIMIT_PER_SECOND
        say(f"delivery: sending {messages} messages (at 30/s: {ideal:.0f} s)")
        deadline = time.perf_counter() + ideal * 3 + 30
        seconds, rounds = asyncio.run(_deliver(settings, space.db, deadline))
        stats = api.stats()
        with space.db.session() as session:
            statuses = dict(
                session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                ).all()
            )
    rate = stats["accepted"] / seconds if seconds else 0.0
    share = rate / LIMIT_PER_SECOND
    exactly_once = (
        stats["accepted"] == messages
        and stats["duplicates"] == 0
        and statuses.get("sent", 0) == messages
    )
    result.params.update(digests=digests, messages=messages)
    result.add(
        Figure(
            "messages per second",
            rate,
            "msg/s",
            baseline=LIMIT_PER_SECOND,
            baseline_label="Telegram's limit",
            ratio=share,
            target=">= 0.9x",
            met=share >= 0.9,
            note=(
                f"{stats['accepted']} messages accepted in {seconds:.1f} s "
                f"(at exactly 30/s: {ideal:.1f} s); {rounds} sender round(s)"
            ),
        )
    )
    result.add(
        Figure(
            "delivered exactly once",
            stats["accepted"],
            "msgs",
            baseline=messages,
            baseline_label="queued",
            ratio=stats["accepted"] / messages if messages else None,
            target="all, no duplicates",
            met=exactly_once,
            note=(f"duplicates at the server {stats['duplicates']}; outbox statuses {statuses}"),
        )
    )
    unhandled = sum(v for k, v in statuses.items() if k != "sent")
    result.add(
        Figure(
            "429 answers (all retried)",
            stats["rejected_429"],
            "",
            target="none left unhandled",
            met=unhandled == 0,
            note=f"messages not sent at the end: {unhandled}; 400 answers {stats['rejected_400']}",
        )
    )
    result.details.update(server=stats | {"latencies": None})
    return result
