"""Fixtures for the bot's tests: the wire-level fake Telegram Bot API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_telegram import FakeTelegram


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A strict fake Bot API on 127.0.0.1 with Telegram's real flood limits.

    PTB reaches it with `Bot(fake_telegram.token, base_url=fake_telegram.bot_api_url,
    base_file_url=fake_telegram.file_url)` or `fake_telegram.bot()`.
    """
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


# --- F: the running bot application (bot/app.py) against the fake ---------------------

ADMIN_CHAT_ID = 1001


@pytest.fixture
def clock():
    """The bot's clock, standing still at a Monday morning until a test moves it."""
    from datetime import UTC, datetime

    from tests.bot.botrun import TestClock

    return TestClock(datetime(2026, 5, 4, 10, 0, tzinfo=UTC))


@pytest.fixture
def bot_settings(fake_telegram: FakeTelegram, db_url: str):
    """Settings pointing the bot at the fake Telegram, with one admin chat."""
    from digests.config import Settings

    return Settings(
        _env_file=None,
        telegram_bot_token=fake_telegram.token,
        telegram_api_base_url=fake_telegram.bot_api_url,
        admin_chat_ids=[ADMIN_CHAT_ID],
        database_url=db_url,
        default_digest_time="08:00",
        default_timezone="UTC",
    )


@pytest.fixture
async def running_app(bot_settings, db, clock):
    """The real Application, long polling the fake in the test's event loop (no jobs: tests
    drive the digest tick with the clock)."""
    from bot.app import build_application
    from tests.bot.botrun import running_bot

    application = build_application(bot_settings, db, clock=clock, schedule=False)
    async with running_bot(application):
        yield application
