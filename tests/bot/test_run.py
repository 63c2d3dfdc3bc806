"""`newsdigest run`: the whole process against the fake Telegram, one instance per database,
and the token kept out of every log line."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import build_application, run_bot
from bot.lease import acquire_lease, lease_holder
from digests.config import Settings
from digests.logs import configure_logging
from digests.storage import Database
from digests.storage.models import Subscriber, Topic, utcnow
from tests.bot.botrun import Conversation, add_story, running_bot
from tests.support.fake_telegram import FakeTelegram

USER = 8008
DUE_CHAT = 8009


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "telegram")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def test_a_second_instance_on_the_same_database_refuses_to_start(
    bot_settings: Settings,
    db: Database,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    acquire_lease(db, "other-host:4321:cafe")
    assert run_bot(bot_settings) == 3
    error = capsys.readouterr().err
    assert "Traceback" not in error
    refusals = [line for line in error.splitlines() if line.startswith("newsdigest run:")]
    assert refusals == [error.strip().splitlines()[-1]]
    assert refusals[0].startswith("newsdigest run: another newsdigest bot (other-host:4321:cafe)")
    assert lease_holder(db).owner == "other-host:4321:cafe"


async def test_the_token_never_reaches_the_logs_even_with_httpx_at_debug(
    bot_settings: Settings,
    db: Database,
    fake_telegram: FakeTelegram,
    clock,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    token = bot_settings.telegram_bot_token
    configure_logging("DEBUG", secrets=[token])
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    # Behind the redacting handler, so it sees records as the product's log shows them.
    logging.getLogger().addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)

    application = build_application(bot_settings, db, clock=clock, schedule=False)
    async with running_bot(application):
        user = Conversation(fake_telegram, USER)
        await user.send("/start")
        await user.send(f"/topic {token}")  # even a user pasting it into a command
    logged = [record.getMessage() for record in caplog.records]
    assert any("getUpdates" in line for line in logged), "httpx request lines were logged"
    assert not [line for line in logged if token in line]
    assert token not in capsys.readouterr().err


def _opml(path: Path, feed_url: str) -> Path:
    path.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
        f'<outline type="rss" text="Local" xmlUrl="{feed_url}"/></body></opml>',
        encoding="utf-8",
    )
    return path


def _stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM (what a service manager sends), then the process's log."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[1]


def _bot_env(fake: FakeTelegram, db_url: str, feeds_file: Path, **extra: str) -> dict[str, str]:
    """The environment of `newsdigest run` against the fake, with local feeds only."""
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.bot_api_url,
        "DATABASE_URL": db_url,
        "FEEDS_FILE": str(feeds_file),
        "LOG_LEVEL": "DEBUG",
        "EXTRACT_WORKERS": "1",
        **extra,
    }


def test_newsdigest_run_serves_commands_refuses_a_twin_and_stops_cleanly_on_sigterm(
    fake_telegram: FakeTelegram, db_url: str, db: Database, tmp_path: Path, web
) -> None:
    feed = web.add(
        "/feed.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>'
        "<link>http://127.0.0.1/</link><description>d</description></channel></rss>",
        content_type="application/rss+xml",
    )
    env = _bot_env(fake_telegram, db_url, _opml(tmp_path / "feeds.opml", feed))
    # The bot was down when this digest fell due an hour ago (within the 6 h grace).
    add_story(db, "Ukraine overnight", ["Talks resumed."], first_seen_at=utcnow())
    with db.session() as session:
        session.add(
            Subscriber(
                chat_id=DUE_CHAT,
                next_digest_at=utcnow() - timedelta(hours=1),
                topics=[Topic(query="ukraine", position=1)],
            )
        )
    fake_telegram.add_chat(DUE_CHAT)
    command = [sys.executable, "-m", "bot", "run"]
    first = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        fake_telegram.push_message(USER, "/start")
        deadline = time.monotonic() + 60
        while not fake_telegram.texts(USER):
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline, "no reply from `newsdigest run`"
            time.sleep(0.05)
        assert "daily digest" in fake_telegram.texts(USER)[0]
        assert fake_telegram.calls("setMyCommands")
        # The missed digest goes out once, right after start.
        while not fake_telegram.texts(DUE_CHAT):
            assert time.monotonic() < deadline, "the missed digest was not sent at start"
            time.sleep(0.05)
        assert "Ukraine overnight" in fake_telegram.texts(DUE_CHAT)[0]

        twin = subprocess.run(
            command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert twin.returncode == 3
        assert "another newsdigest bot" in twin.stderr
        assert "Traceback" not in twin.stderr
    finally:
        log_text = _stop(first)
    assert first.returncode == 0, log_text[-3000:]
    assert fake_telegram.token not in log_text
    assert "long polling" in log_text
    assert lease_holder(db) is None  # released at a clean stop
    assert len(fake_telegram.texts(DUE_CHAT)) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_newsdigest_run_in_webhook_mode_checks_the_secret(
    fake_telegram: FakeTelegram, db_url: str, tmp_path: Path, web
) -> None:
    feed = web.add("/feed.xml", "<rss version='2.0'><channel><title>L</title></channel></rss>")
    port = _free_port()
    secret = "webhook-secret-value_42"
    env = _bot_env(
        fake_telegram,
        db_url,
        _opml(tmp_path / "feeds.opml", feed),
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram-updates",
        WEBHOOK_SECRET=secret,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not fake_telegram.webhook.get("url"):
            assert bot.poll() is None, bot.stderr.read() if bot.stderr else ""
            assert time.monotonic() < deadline, "the bot never set its webhook"
            time.sleep(0.05)
        assert fake_telegram.webhook["url"] == env["WEBHOOK_URL"]
        assert fake_telegram.webhook["secret_token"] == secret
        # PTB sets the webhook first, then starts listening.
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "the webhook server never listened"
            time.sleep(0.05)
        fake_telegram.push_message(USER, "/start")
        assert fake_telegram.deliver_webhook_updates() == 1
        while not fake_telegram.texts(USER):
            assert time.monotonic() < deadline, "no reply in webhook mode"
            time.sleep(0.05)
        assert "daily digest" in fake_telegram.texts(USER)[0]
        # A request without the secret is turned away by the webhook server.
        forged = urllib.request.Request(
            env["WEBHOOK_URL"], data=b"{}", headers={"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=10)
        assert refused.value.code == 403
    finally:
        log_text = _stop(bot)
    assert bot.returncode == 0, log_text[-3000:]
    assert "webhook mode" in log_text
    assert fake_telegram.token not in log_text and secret not in log_text
