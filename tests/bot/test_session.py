"""A new user's whole first session with the real bot, through the fake Telegram."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from telegram.ext import Application

from digests.storage import Database
from digests.storage.models import Delivery, OutboxMessage, Subscriber
from tests.bot.botrun import Conversation, TestClock, add_story
from tests.support.fake_telegram import FakeTelegram

USER = 2002
TRICKY_TITLE = "Ukraine & allies <agree> on a “winter” aid plan"


def _stories(db: Database, clock: TestClock) -> dict[str, int]:
    earlier = clock.now - timedelta(hours=3)
    later = clock.now - timedelta(hours=1)
    return {
        "grain": add_story(
            db,
            "Ukraine resumes grain exports through Black Sea corridor",
            ["Ships left Odesa on Sunday.", "Insurers expect more traffic this week."],
            first_seen_at=earlier,
        ),
        "aid": add_story(
            db,
            TRICKY_TITLE,
            ["Ministers met in Brussels.", "The package covers energy repairs."],
            first_seen_at=later,
            feed_title="Europe Desk",
        ),
        "climate": add_story(
            db,
            "Climate talks stall over coal phase-out",
            ["Negotiators left without a deal."],
            first_seen_at=later,
        ),
    }


async def test_first_session(
    running_app: Application, fake_telegram: FakeTelegram, db: Database, clock: TestClock
) -> None:
    clusters = _stories(db, clock)
    user = Conversation(fake_telegram, USER)

    # The command menu was announced at start.
    menu = fake_telegram.calls("setMyCommands")
    assert menu and {"start", "topic", "digest", "time", "timezone"} <= {
        command["command"] for command in menu[0].params["commands"]
    }

    (welcome,) = await user.send("/start")
    assert "daily digest" in welcome
    for first_steps in ("/topic ukraine", "/time", "/digest"):
        assert first_steps in welcome
    (again,) = await user.send("/start")
    assert "You are subscribed" in again

    (followed,) = await user.send("/topic ukraine")
    assert "Following ukraine" in followed
    assert "2 stories from the last day match" in followed
    assert TRICKY_TITLE in followed  # escaped on the wire, shown as written

    (followed,) = await user.send("/topic climate")
    assert "1 story from the last day match" in followed

    (listing,) = await user.send("/topics")
    assert "1. ukraine" in listing and "2. climate" in listing
    keyboard = fake_telegram.sent_to(USER)[-1].reply_markup["inline_keyboard"]
    remove_climate = keyboard[1][0]["callback_data"]
    assert "climate" in keyboard[1][0]["text"]
    query_id = await user.press(remove_climate)
    assert "climate" in fake_telegram.callback_answers[query_id]["text"]
    edited = fake_telegram.sent_to(USER)[-1]
    assert edited.edits, "the list was redrawn in place"
    assert "ukraine" in edited.plain and "climate" not in edited.plain
    assert len(edited.reply_markup["inline_keyboard"]) == 1

    (timed,) = await user.send("/time 07:30")
    assert "07:30" in timed
    (zoned,) = await user.send("/timezone europe/kyiv")
    assert "Europe/Kyiv" in zoned
    # 2026-05-04 10:00 UTC is 13:00 in Kyiv: the next 07:30 there is tomorrow, 04:30 UTC.
    with db.session() as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.chat_id == USER))
        assert subscriber.next_digest_at == clock.now.replace(hour=4, minute=30) + timedelta(days=1)

    (settings,) = await user.send("/settings")
    assert "07:30 (Europe/Kyiv)" in settings
    assert "ukraine" in settings and "climate" not in settings
    assert "at most 10" in settings

    digest = await user.send("/digest")
    text = "\n".join(digest)
    assert "Ukraine resumes grain exports" in text
    assert TRICKY_TITLE in text
    assert "Climate talks" not in text

    (nothing,) = await user.send("/digest")
    assert "Nothing new" in nothing

    # Each story reached the user exactly once, and is recorded as delivered.
    everything = "\n".join(fake_telegram.texts(USER))
    assert everything.count("Ukraine resumes grain exports") == 1
    with db.session() as session:
        delivered = set(
            session.scalars(
                select(Delivery.cluster_id).join(Subscriber).where(Subscriber.chat_id == USER)
            )
        )
        assert delivered == {clusters["grain"], clusters["aid"]}
        pending = session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status != "sent")
        )
        assert pending == 0
    # Every message the bot sent had link previews off.
    assert all(message.link_preview_disabled for message in fake_telegram.sent_to(USER))
