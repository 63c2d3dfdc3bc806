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
