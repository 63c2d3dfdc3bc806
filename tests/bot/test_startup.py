"""What the bot loads at start so that the first /topic is answered at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import WARM_UP_KEY, build_application
from digests.compose.digest import shared_index
from digests.config import Settings
from digests.storage import Database
from tests.bot.botrun import TestClock, add_story, running_bot


async def test_start_up_loads_the_last_day_into_the_shared_index(
    bot_settings: Settings, db: Database, clock: TestClock
) -> None:
    recent = add_story(db, "Ukraine talks", ["Talks resumed."], first_seen_at=clock.now)
    old = add_story(
        db, "Ukraine last week", ["Old news."], first_seen_at=clock.now - timedelta(days=7)
    )
    application = build_application(bot_settings, db, clock=clock, schedule=False, warm_index=True)
    async with running_bot(application):
        await application.bot_data[WARM_UP_KEY]
    index = shared_index(db.engine)
    assert index.get(recent).title == "Ukraine talks"  # loaded: no reading on first /topic
    with pytest.raises(KeyError):
        index.get(old)  # older than the day digests and /topic look at
