"""`newsdigest feeds add|list|remove|import|export` and `newsdigest poll [--once]`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from digests.errors import UserError

if TYPE_CHECKING:
    from digests.config import Settings
    from digests.storage import Database
    from digests.storage.models import Feed

POLL_LOOP_SECONDS = 60


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `feeds` and `poll` sub-commands."""
    feeds = subparsers.add_parser(
        "feeds",
        help="manage the news feeds (add, list, remove, import/export OPML)",
        description="Manage the feeds newsdigest polls.",
    )
    actions = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    actions.required = True

    add = actions.add_parser(
        "add",
        help="add a feed, or a site whose page links to its feed",
        description="Add a feed by its URL, or a site's home page (its feed is discovered).",
    )
    add.add_argument("url", metavar="URL", help="feed URL or site address")
    add.set_defaults(handler=add_command)

    listing = actions.add_parser(
        "list", help="list the feeds and their health", description="List every feed."
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=list_command)

    remove = actions.add_parser(
        "remove",
        help="remove a feed (its stories stay)",
        description="Remove a feed by its id (see 'feeds list') or URL; its stories stay.",
    )
    remove.add_argument("feed", metavar="ID|URL")
    remove.set_defaults(handler=remove_command)

    opml_in = actions.add_parser(
        "import",
        help="add the feeds of an OPML file",
        description="Add every feed listed in an OPML file (feeds already listed are skipped).",
    )
    opml_in.add_argument("file", metavar="FILE.opml")
    opml_in.set_defaults(handler=import_command)

    opml_out = actions.add_parser(
        "export",
        help="write the feeds as OPML 2.0",
        description="Write the feed list as OPML 2.0 to FILE, or to standard output.",
    )
    opml_out.add_argument("file", metavar="FILE", nargs="?", help="default: standard output")
    opml_out.set_defaults(handler=export_command)

    poll = subparsers.add_parser(
        "poll",
        help="poll the feeds and process new stories",
        description=(
            "Poll the feeds that are due, extract and summarize new stories. With --once, "
            "one round and a summary line; without, a round every minute until Ctrl-C."
        ),
    )
    poll.add_argument("--once", action="store_true", help="one round, then exit")
    poll.add_argument("--force", action="store_true", help="poll every feed, due or not")
    poll.set_defaults(handler=poll_command)


def _open() -> tuple[Settings, Database]:
    from sqlalchemy.exc import ArgumentError, OperationalError

    from digests.config import get_settings
    from digests.storage import open_database

    settings = get_settings()
    try:
        return settings, open_database(settings.database_url)
    except (ArgumentError, OperationalError) as exc:
        reason = " ".join(str(exc.orig if hasattr(exc, "orig") else exc).split())
        raise UserError(f"DATABASE_URL {settings.database_url!r}: {reason}") from None


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _health(feed: Feed) -> str:
    if feed.consecutive_failures:
        return f"failing ×{feed.consecutive_failures}: {feed.last_error or ''}"
    if feed.last_success_at is None:
        return "not polled yet"
    return "ok"


def _as_json(feed: Feed) -> dict:
    return {
        "id": feed.id,
        "url": feed.url,
        "title": feed.title,
        "site_url": feed.site_url,
        "enabled": feed.enabled,
        "added_at": _when(feed.added_at) or None,
        "last_polled_at": _when(feed.last_polled_at) or None,
        "last_success_at": _when(feed.last_success_at) or None,
        "last_new_entry_at": _when(feed.last_new_entry_at) or None,
        "next_poll_at": _when(feed.next_poll_at) or None,
        "last_status": feed.last_status,
        "consecutive_failures": feed.consecutive_failures,
        "last_error": feed.last_error,
        "last_error_at": _when(feed.last_error_at) or None,
    }


def add_command(args: argparse.Namespace) -> int:
    import asyncio

    from digests.feeds.catalog import add_feed
    from digests.fetcher import Fetcher

    settings, db = _open()

    async def add() -> Feed:
        async with Fetcher(settings) as fetcher:
            return await add_feed(db, fetcher, args.url)

    try:
        feed = asyncio.run(add())
    finally:
        db.dispose()
    print(f"added feed #{feed.id}: {feed.title or '(untitled)'} <{feed.url}>")
    return 0


def list_command(args: argparse.Namespace) -> int:
    from digests.feeds.catalog import ensure_default_feeds, list_feeds

    settings, db = _open()
    try:
        ensure_default_feeds(db, settings)
        feeds = list_feeds(db)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps([_as_json(feed) for feed in feeds], ensure_ascii=False, indent=2))
        return 0
    for feed in feeds:
        print(f"#{feed.id:<4} {feed.title or '(untitled)'}")
        print(f"      {feed.url}")
        line = f"      {_health(feed)}"
        if feed.last_success_at:
            line += f"; last success {_when(feed.last_success_at)}"
        if feed.last_new_entry_at:
            line += f"; last new story {_when(feed.last_new_entry_at)}"
        if feed.next_poll_at:
            line += f"; next poll {_when(feed.next_poll_at)}"
        print(line)
    print(f"{len(feeds)} feeds")
    return 0


def remove_command(args: argparse.Namespace) -> int:
    from digests.feeds.catalog import remove_feed

    _, db = _open()
    try:
        feed = remove_feed(db, args.feed)
    finally:
        db.dispose()
    print(f"removed feed #{feed.id}: {feed.title or '(untitled)'} <{feed.url}>")
    return 0


def import_command(args: argparse.Namespace) -> int:
    from digests.feeds.catalog import import_feeds
    from digests.feeds.opml import read_opml

    feeds = read_opml(args.file)  # a broken file fails before anything is opened
    _, db = _open()
    try:
        report = import_feeds(db, feeds)
    finally:
        db.dispose()
    print(
        f"imported {report.added} feeds from {args.file} "
        f"({report.already_present} already in the list)"
    )
    return 0


def export_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from digests.feeds.catalog import ensure_default_feeds, list_feeds
    from digests.feeds.opml import OpmlFeed, render_opml
    from digests.storage.models import utcnow

    settings, db = _open()
    try:
        ensure_default_feeds(db, settings)
        feeds = [OpmlFeed(f.url, f.title, f.site_url) for f in list_feeds(db)]
    finally:
        db.dispose()
    document = render_opml(feeds, now=utcnow())
    if not args.file or args.file == "-":
        sys.stdout.write(document.decode("utf-8"))
        return 0
    target = Path(args.file)
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_bytes(document)
        partial.replace(target)
    except OSError as exc:
        raise UserError(f"{args.file}: cannot write it ({exc.strerror or exc})") from None
    print(f"exported {len(feeds)} feeds to {args.file}")
    return 0


def poll_command(args: argparse.Namespace) -> int:
    import asyncio
    import time

    from digests.feeds.catalog import ensure_default_feeds
    from digests.fetcher import Fetcher
    from digests.logs import configure_logging
    from digests.pipeline import run_pipeline_once

    settings, db = _open()
    configure_logging(settings.log_level, [settings.telegram_bot_token])
    show_progress = sys.stderr.isatty()

    async def rounds() -> None:
        async with Fetcher(settings) as fetcher:
            force = args.force
            while True:
                started = time.monotonic()
                report = await run_pipeline_once(
                    db, settings, fetcher=fetcher, force=force, progress=show_progress
                )
                print(report.summary_line(), flush=True)
                if args.once:
                    return
                force = False
                await asyncio.sleep(max(1.0, POLL_LOOP_SECONDS - (time.monotonic() - started)))

    try:
        ensure_default_feeds(db, settings)
        asyncio.run(rounds())
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        db.dispose()
    return 0
