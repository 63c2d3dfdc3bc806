"""The Telegram application: handlers, error handler, command menu, and `run_bot`, which runs
the bot and its scheduled jobs in one event loop (long polling, or a webhook)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from telegram import BotCommandScopeChat, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.delivery.pacing import TelegramPacer
from bot.delivery.sender import OutboxSender
from bot.handlers import ADMIN_COMMANDS, BOT_COMMANDS, register_handlers
from bot.handlers.base import CLOCK_KEY, DB_KEY, NO_PREVIEW, SETTINGS_KEY
from bot.jobs import LEASE_OWNER_KEY, SENDER_KEY, schedule_jobs, stopping
from bot.lease import LeaseHeld, acquire_lease, instance_owner, release_lease
from digests.compose.digest import SHARED_INDEX_WINDOW, shared_index
from digests.config import Settings
from digests.feeds.catalog import ensure_default_feeds
from digests.logs import RedactSecrets, configure_logging
from digests.storage import Database, open_database
from digests.storage.models import utcnow
from digests.topics import parse_query

log = logging.getLogger(__name__)

SCHEDULE_JOBS_KEY = "schedule_jobs"
WARM_INDEX_KEY = "warm_index"
WARM_UP_KEY = "warm_up"
SORRY = "Sorry, something went wrong on my side. Please try again in a minute."
# The updates the bot acts on (everything else is not even fetched).
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def file_url_for(base_url: str) -> str:
    """The Bot API file URL that goes with `base_url` (`…/bot` → `…/file/bot`)."""
    base = base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with the update id and tell the user, never with a traceback."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("handling update %s failed", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(SORRY)
        elif update.effective_chat is not None:
            await context.bot.send_message(
                update.effective_chat.id, SORRY, link_preview_options=NO_PREVIEW
            )
    except TelegramError:
        log.warning("could not tell chat about the failure of update %s", update_id)


async def announce_commands(application: Application) -> None:
    """setMyCommands: the menu for everyone, plus the admin commands in admins' chats."""
    bot = application.bot
    await bot.set_my_commands(list(BOT_COMMANDS))
    settings: Settings = application.bot_data[SETTINGS_KEY]
    for chat_id in settings.admin_chat_ids:
        try:
            await bot.set_my_commands(
                [*BOT_COMMANDS, *ADMIN_COMMANDS], scope=BotCommandScopeChat(chat_id)
            )
        except TelegramError as problem:
            # An admin who never wrote to the bot: Telegram does not know the chat yet.
            log.warning("admin command menu for chat %s not set: %s", chat_id, problem)


def warm_up(db: Database, now: datetime | None) -> None:
    """Load what /topic replies need (blocking: run it in a thread): the topic matcher's
    word lists, and, given `now`, the last day's stories analyzed in the database's shared
    index, as the digest tick keeps it. Only reads: no write lock is held meanwhile."""
    try:
        parse_query("ukraine")
        if now is None:
            return
        index = shared_index(db.engine)
        with db.session() as session:
            index.keep_window(session, now - SHARED_INDEX_WINDOW, now)
    except Exception:
        log.exception("warming up the topic matcher failed; the first /topic will be slow")


def stop_jobs_on_signals(application: Application) -> None:
    """On SIGINT/SIGTERM/SIGABRT, tell running jobs to stop (`stopping`), then stop as
    run_polling's own handler does: its shutdown waits for running jobs, and a digest tick
    in its thread would otherwise run to its end (minutes for thousands of subscribers)."""
    loop = asyncio.get_running_loop()
    stop = stopping(application)

    def on_signal() -> None:
        stop.set()
        raise SystemExit  # what run_polling's handler does: it then stops the application

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
        try:
            loop.add_signal_handler(number, on_signal)
        except (NotImplementedError, RuntimeError, ValueError):
            return  # no signal handling on this loop (Windows, a thread): nothing to replace


async def on_startup(application: Application) -> None:
    """After initialize (the bot knows its username): command menu, then the jobs."""
    stop_jobs_on_signals(application)
    try:
        await announce_commands(application)
    except TelegramError as problem:
        log.warning("setMyCommands failed: %s (the bot works without the menu)", problem)
    if application.bot_data.get(SCHEDULE_JOBS_KEY, True):
        schedule_jobs(application)
    # The topic matcher loads its word lists and gazetteer, and the shared index the last
    # day's stories (seconds) on first use: do it now, in a thread, so the first /topic is
    # answered at once.
    data = application.bot_data
    now = data[CLOCK_KEY]() if data.get(WARM_INDEX_KEY, True) else None
    data[WARM_UP_KEY] = asyncio.create_task(
        asyncio.to_thread(warm_up, data[DB_KEY], now), name="warm topics"
    )
    log.info("bot @%s started", application.bot.username)


def build_application(
    settings: Settings,
    db: Database,
    *,
    clock: Callable[[], datetime] = utcnow,
    schedule: bool = True,
    warm_index: bool | None = None,
) -> Application:
    """The bot: handlers, error handler, E's pacer as rate limiter, the outbox sender,
    `db`/`settings`/`clock` in bot_data. `schedule=False` leaves the jobs off (tests drive
    the digest tick themselves); `warm_index` (default: as `schedule`) has the start-up
    load the last day into the shared cluster index that /topic replies use."""
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_url_for(settings.telegram_api_base_url))
        .rate_limiter(TelegramPacer())
        .post_init(on_startup)
        .build()
    )
    application.bot_data[DB_KEY] = db
    application.bot_data[SETTINGS_KEY] = settings
    application.bot_data[CLOCK_KEY] = clock
    application.bot_data[SCHEDULE_JOBS_KEY] = schedule
    # Loading the day at start is what the digest tick at start does anyway; without the
    # jobs (tests with a clock standing still) the index is left to load on first use.
    application.bot_data[WARM_INDEX_KEY] = schedule if warm_index is None else warm_index
    application.bot_data[SENDER_KEY] = OutboxSender(
        db, application.bot, clock=clock, stop=stopping(application)
    )
    register_handlers(application)
    application.add_error_handler(report_error)
    return application


def _serve(application: Application, settings: Settings) -> None:
    if settings.webhook_url:
        path = urlsplit(settings.webhook_url).path.lstrip("/")
        log.info("webhook mode: listening on %s:%s", settings.webhook_listen, settings.webhook_port)
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret or None,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        log.info("long polling mode")
        application.run_polling(allowed_updates=ALLOWED_UPDATES)


def run_bot(settings: Settings) -> int:
    """Run the bot and its jobs until stopped (Ctrl-C / SIGTERM). Returns the exit status:
    0 after a clean stop, 3 when another instance holds this database, 1 when Telegram
    cannot be reached or refuses the token."""
    secrets = [settings.telegram_bot_token, settings.webhook_secret]
    configure_logging(settings.log_level, secrets=secrets)
    db = open_database(settings.database_url)
    try:
        owner = instance_owner()
        try:
            acquire_lease(db, owner)
        except LeaseHeld as held:
            print(f"newsdigest run: {held}", file=sys.stderr)
            return 3
        try:
            ensure_default_feeds(db, settings)
            application = build_application(settings, db)
            application.bot_data[LEASE_OWNER_KEY] = owner
            _serve(application, settings)
        except InvalidToken:
            print(
                "newsdigest run: Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather.",
                file=sys.stderr,
            )
            return 1
        except NetworkError as problem:
            reason = RedactSecrets(secrets).redact(str(problem))
            print(
                f"newsdigest run: cannot reach the Bot API at {settings.telegram_api_base_url}: "
                f"{reason}",
                file=sys.stderr,
            )
            return 1
        finally:
            release_lease(db, owner)
    finally:
        db.dispose()
    return 0
