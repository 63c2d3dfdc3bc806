"""The foundation: storage opens and migrates, the CLI answers, `run` needs a token."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from digests.config import Settings, parse_duration
from digests.storage import Feed, open_database


def test_database_is_sqlite_wal_with_schema(db_url: str) -> None:
    db = open_database(db_url)
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        tables = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert {"feeds", "stories", "clusters", "subscribers", "topics", "deliveries", "outbox"} <= (
        tables
    )
    db.dispose()


def test_times_come_back_as_utc(db) -> None:
    kyiv_noon = datetime(2026, 3, 29, 12, 0, tzinfo=UTC) + timedelta(hours=0)
    with db.session() as session:
        session.add(Feed(url="http://example.test/rss", next_poll_at=kyiv_noon))
    with db.session() as session:
        feed = session.query(Feed).one()
    assert feed.next_poll_at == kyiv_noon
    assert feed.next_poll_at.tzinfo is not None


def test_reopening_keeps_data(db_url: str) -> None:
    first = open_database(db_url)
    with first.session() as session:
        session.add(Feed(url="http://example.test/rss"))
    first.dispose()
    second = open_database(db_url)
    with second.session() as session:
        assert session.query(Feed).count() == 1
    second.dispose()


def test_settings_parse_lists_and_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_CHAT_IDS", "12, 34 56")
    monkeypatch.setenv("MISSED_DIGEST_GRACE", "90m")
    settings = Settings()
    assert settings.admin_chat_ids == [12, 34, 56]
    assert settings.missed_digest_grace == timedelta(minutes=90)
    assert parse_duration("7d") == timedelta(days=7)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")


def test_run_without_token_says_so_in_one_line(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
        timeout=60,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and ".env" in lines[0]


def test_unknown_command_is_one_line_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "no-such-command"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no-such-command" in result.stderr


def test_empty_settings_mean_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", " ")
    monkeypatch.setenv("ADMIN_CHAT_IDS", "")
    settings = Settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.admin_chat_ids == []
