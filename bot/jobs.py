"""The running bot's scheduled jobs, on PTB's JobQueue (APScheduler's AsyncIOScheduler in the
bot's event loop): the digest tick, the outbox sender, feed polling and the lease renewal.

Each job is guarded: a failure is logged and the next run happens as usual. Every job runs
with max_instances=1 and coalesce, so a slow run is never doubled or queued up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram.ext import Application, ContextTypes

from bot.handlers.base import CLOCK_KEY, DB_KEY, SETTINGS_KEY
from bot.lease import LEASE_RENEW_EVERY, renew_lease
from bot.scheduling import send_due_digests
from digests.storage.models import utcnow

log = logging.getLogger(__name__)

SENDER_KEY = "outbox_sender"
SENDER_LOCK_KEY = "outbox_lock"
LEASE_OWNER_KEY = "lease_owner"
STOPPING_KEY = "stopping"

DIGEST_TICK_EVERY = timedelta(minutes=1)
OUTBOX_EVERY = timedelta(seconds=5)
POLL_EVERY = timedelta(minutes=1)
JOB_OPTIONS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 60}

Job = Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]]


async def send_outbox(application: Application) -> None:
    """Send every due outbox message; one sender at a time (jobs and /digest share it)."""
    lock: asyncio.Lock = application.bot_data.setdefault(SENDER_LOCK_KEY, asyncio.Lock())
    async with lock:
        await application.bot_data[SENDER_KEY].send_pending()


async def _send_outbox_logged(application: Application) -> None:
    try:
        await send_outbox(application)
    except Exception:
        log.exception("sending the outbox failed; the next run retries")


def send_outbox_soon(application: Application) -> None:
    """Start sending the outbox now, without waiting for it (after /digest queued one)."""
    application.create_task(_send_outbox_logged(application), name="send outbox")


def stopping(application: Application) -> threading.Event:
    """Set once the bot is shutting down: long jobs running in threads check it and stop
    early (the application's stop waits for running jobs)."""
    return application.bot_data.setdefault(STOPPING_KEY, threading.Event())


async def digest_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue every digest that is due, then send the outbox."""
    application = context.application
    data = application.bot_data
    clock = data.get(CLOCK_KEY, utcnow)
    stop = stopping(application)
    await send_due_digests(
        data[DB_KEY], None, data[SETTINGS_KEY], now=clock(), clock=clock, stop=stop
    )
    if not stop.is_set():
        await send_outbox(application)


async def outbox_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send what is pending (retries after 429s and network errors come due here)."""
    await send_outbox(context.application)


async def poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Poll the feeds that are due, extract and summarize new stories, cluster them."""
    from digests.pipeline import run_pipeline_once

    data = context.application.bot_data
    report = await run_pipeline_once(data[DB_KEY], data[SETTINGS_KEY])
    # Most minutes no feed is due: say so only at debug level.
    level = logging.INFO if report.poll.polled or report.poll.failed else logging.DEBUG
    log.log(level, "pipeline: %s", report.summary_line())


async def lease_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep the single-instance lease; if another instance took it, stop this one."""
    application = context.application
    data = application.bot_data
    owner = data.get(LEASE_OWNER_KEY)
    if owner is None:
        return
    if not await asyncio.to_thread(renew_lease, data[DB_KEY], owner):
        log.error("lost the single-instance lease to another instance; stopping")
        stopping(application).set()
        application.stop_running()


def guarded(name: str, job: Job) -> Job:
    """`job`, with any failure logged instead of reaching the scheduler."""

    async def run(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await job(context)
        except Exception:
            log.exception("job %r failed; it runs again on schedule", name)

    run.__name__ = name
    return run


def schedule_jobs(application: Application, *, poll_feeds: bool = True) -> None:
    """Put the bot's jobs on the application's JobQueue (they start with the application)."""
    queue = application.job_queue
    if queue is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot[job-queue] is not installed")
    now = utcnow()
    # A first tick right at start sends the digests that fell due while the bot was down
    # (within the grace period); then ticks land just after each minute starts, so an
    # 08:00 digest leaves at 08:00:01. Overlapping ticks are harmless: a slot is served
    # once (re-checked per subscriber, unique per subscriber and slot).
    to_next_minute = 61 - now.second - now.microsecond / 1_000_000
    if to_next_minute < 10:
        to_next_minute += 60
    queue.run_once(guarded("digest tick", digest_tick), when=2.0, name="digest tick at start")
    plan: list[tuple[str, Job, timedelta, float]] = [
        ("lease", lease_job, LEASE_RENEW_EVERY, LEASE_RENEW_EVERY.total_seconds()),
        ("digest tick", digest_tick, DIGEST_TICK_EVERY, to_next_minute),
        ("outbox", outbox_job, OUTBOX_EVERY, OUTBOX_EVERY.total_seconds()),
    ]
    if poll_feeds:
        plan.append(("poll feeds", poll_job, POLL_EVERY, 5.0))
    for name, job, every, first in plan:
        queue.run_repeating(
            guarded(name, job), interval=every, first=first, name=name, job_kwargs=JOB_OPTIONS
        )
