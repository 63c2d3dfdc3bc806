"""/sources for everyone; /addfeed, /removefeed and /stats for admins (ADMIN_CHAT_IDS)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.base import (
    argument_text,
    database,
    find_subscriber,
    in_session,
    is_admin,
    now_of,
    reply,
    settings_of,
)
from bot.render import escape
from bot.zones import zone_for
from digests.errors import UserError
from digests.feeds.catalog import add_feed, list_feeds, remove_feed
from digests.fetcher import Fetcher
from digests.storage.models import Digest, Feed, Story, Subscriber, Topic

# Keep /sources inside one Telegram message per chunk, well under 4096 characters.
MESSAGE_BUDGET = 3500
ERROR_CHARS = 80
NOT_ADMIN = "Sorry, only the bot's administrators can do that."


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def _feed_name(feed: Feed) -> str:
    return feed.title.strip() or urlsplit(feed.url).netloc or feed.url


def feed_health(feed: Feed, now: datetime) -> str:
    """`ok`, `failing 3× (last ok 2 h ago): HTTP 503`, `not polled yet`, `disabled` (plain)."""
    if not feed.enabled:
        return "disabled"
    if feed.consecutive_failures:
        since = f"last ok {_ago(feed.last_success_at, now)}" if feed.last_success_at else "never ok"
        error = " ".join((feed.last_error or "unknown error").split())
        if len(error) > ERROR_CHARS:
            error = error[: ERROR_CHARS - 1] + "…"
        return f"failing {feed.consecutive_failures}× ({since}): {error}"
    if feed.last_polled_at is None:
        return "not polled yet"
    return "ok"


def _chunks(lines: list[str]) -> list[str]:
    messages, current = [], ""
    for line in lines:
        if current and len(current) + len(line) + 1 > MESSAGE_BUDGET:
            messages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        messages.append(current)
    return messages


async def show_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sources: every feed and its health."""
    now = now_of(context)
    feeds = await asyncio.to_thread(list_feeds, database(context))
    if not feeds:
        await reply(update, "No news sources yet.")
        return
    failing = sum(1 for feed in feeds if feed.enabled and feed.consecutive_failures)
    lines = [f"News sources: {len(feeds)}, {failing} failing."]
    for feed in feeds:
        lines.append(f"{feed.id}. {escape(_feed_name(feed))} — {escape(feed_health(feed, now))}")
    if is_admin(update, settings_of(context)):
        lines.append("\nAdd: /addfeed URL · remove: /removefeed NUMBER")
    for message in _chunks(lines):
        await reply(update, message)


async def add_source(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/addfeed URL (admins): find the feed at URL and add it."""
    settings = settings_of(context)
    if not is_admin(update, settings):
        await reply(update, NOT_ADMIN)
        return
    url = argument_text(context)
    if not url:
        await reply(
            update, "Which feed? Give its address, for example: /addfeed https://example.com/rss"
        )
        return
    try:
        async with Fetcher(settings) as fetcher:
            feed = await add_feed(database(context), fetcher, url)
    except UserError as problem:
        await reply(update, f"Could not add it: {escape(str(problem))}")
        return
    await reply(
        update,
        f"Added {feed.id}. <b>{escape(_feed_name(feed))}</b> ({escape(feed.url)}). "
        "It is polled with the others from now on.",
    )


async def remove_source(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/removefeed N (admins): remove the feed numbered N in /sources (or given by URL)."""
    if not is_admin(update, settings_of(context)):
        await reply(update, NOT_ADMIN)
        return
    text = argument_text(context)
    if not text:
        await reply(update, "Which feed? Give its number from /sources, for example: /removefeed 3")
        return
    target: int | str = int(text) if text.isdigit() else text
    try:
        feed = await asyncio.to_thread(remove_feed, database(context), target)
    except UserError as problem:
        await reply(
            update, f"Could not remove it: {escape(str(problem))}\nFor example: /removefeed 3"
        )
        return
    await reply(update, f"Removed {feed.id}. <b>{escape(_feed_name(feed))}</b>.")


@dataclass(frozen=True)
class Stats:
    subscribers: int
    active_subscribers: int
    active_topics: int
    feeds: int
    failing_feeds: int
    stories_today: int
    digests_today: int
    day_start: str


def collect_stats(session: Session, *, chat_id: int, now: datetime) -> Stats:
    """Counts for /stats; "today" starts at midnight in the asking chat's zone."""
    subscriber = find_subscriber(session, chat_id)
    zone = zone_for(subscriber.timezone if subscriber else "UTC")
    local_midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    since = local_midnight.astimezone(now.tzinfo) if now.tzinfo else local_midnight
    count = session.scalar
    return Stats(
        subscribers=count(select(func.count(Subscriber.id))) or 0,
        active_subscribers=count(select(func.count(Subscriber.id)).where(Subscriber.active)) or 0,
        active_topics=count(select(func.count(Topic.id)).join(Subscriber).where(Subscriber.active))
        or 0,
        feeds=count(select(func.count(Feed.id))) or 0,
        failing_feeds=count(
            select(func.count(Feed.id)).where(Feed.enabled, Feed.consecutive_failures > 0)
        )
        or 0,
        stories_today=count(select(func.count(Story.id)).where(Story.first_seen_at >= since)) or 0,
        digests_today=count(select(func.count(Digest.id)).where(Digest.created_at >= since)) or 0,
        day_start=f"{local_midnight:%d %b} 00:00 {zone}",
    )


async def show_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins): subscribers, active topics, failing feeds, stories and digests today."""
    chat = update.effective_chat
    if chat is None:
        return
    if not is_admin(update, settings_of(context)):
        await reply(update, NOT_ADMIN)
        return
    now = now_of(context)
    stats = await in_session(
        context, lambda session: collect_stats(session, chat_id=chat.id, now=now)
    )
    await reply(
        update,
        "\n".join(
            [
                f"Subscribers: {stats.active_subscribers} active of {stats.subscribers}",
                f"Topics followed (active subscribers): {stats.active_topics}",
                f"Feeds: {stats.feeds}, {stats.failing_feeds} failing",
                f"Since {escape(stats.day_start)}: {stats.stories_today} new stories, "
                f"{stats.digests_today} digests",
            ]
        ),
    )
