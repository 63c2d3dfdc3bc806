"""The list of feeds: adding one (with autodiscovery), listing, removing, importing,
and seeding an empty database with the default list."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select

from digests.config import Settings
from digests.errors import UserError
from digests.feeds.canonical import canonical_url
from digests.feeds.discovery import discover_feeds
from digests.feeds.opml import BUNDLED_DEFAULTS, OpmlFeed, read_opml
from digests.feeds.parser import FeedParseError, ParsedFeed, looks_like_html, parse_feed_async
from digests.fetcher import Fetcher, FetchResult
from digests.storage import Database
from digests.storage.models import Feed, Story

log = logging.getLogger(__name__)

MAX_URL_CHARS = 2048


@dataclass(frozen=True)
class ImportReport:
    """What an OPML import did."""

    added: int
    already_present: int


def normalize_feed_url(url: str) -> str:
    """A URL a person typed, made absolute (`example.com` → `https://example.com/`);
    UserError if it cannot be a web address."""
    text = url.strip()
    if not text:
        raise UserError("empty URL: give a feed or site address, e.g. https://example.com/rss")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in text:
        raise UserError(f"{url!r} is not a web address (use http:// or https://)")
    if len(text) > MAX_URL_CHARS:
        raise UserError(f"{url[:60]!r}…: URL too long (over {MAX_URL_CHARS} characters)")
    if not parts.path:
        text = text + "/"
    return text


def find_feed(db: Database, url: str) -> Feed | None:
    """The stored feed at `url` (compared in canonical form), if any."""
    wanted = canonical_url(url)
    with db.session() as session:
        exact = session.scalars(select(Feed).where(Feed.url == url)).first()
        if exact is not None:
            return exact
        for feed in session.scalars(select(Feed)):
            if canonical_url(feed.url) == wanted:
                return feed
    return None


def _already(feed: Feed) -> UserError:
    name = f" ({feed.title})" if feed.title else ""
    return UserError(f"{feed.url}: already in the feed list as #{feed.id}{name}")


async def _fetch_feed(fetcher: Fetcher, url: str) -> tuple[FetchResult, ParsedFeed | None]:
    result = await fetcher.fetch(url)
    if not result.ok:
        raise UserError(f"{url}: {result.error or f'HTTP {result.status}'}")
    try:
        parsed = await parse_feed_async(
            result.body, result.final_url, result.headers.get("content-type", "")
        )
    except FeedParseError:
        return result, None
    return result, parsed


async def add_feed(db: Database, fetcher: Fetcher, url: str) -> Feed:
    """Add the feed at `url`, or the feed a site's page at `url` links to.

    The feed is fetched and parsed once to check it is one (and to learn its title);
    its entries become stories at the next poll. UserError on bad input: not a URL,
    unreachable, no feed there, or already in the list.
    """
    wanted = normalize_feed_url(url)
    existing = find_feed(db, wanted)
    if existing is not None:
        raise _already(existing)
    result, parsed = await _fetch_feed(fetcher, wanted)
    feed_url = result.final_url
    if parsed is None:
        if not looks_like_html(result.body):
            raise UserError(f"{wanted}: not a feed, and not a web page that links to one")
        candidates = discover_feeds(result.body, result.final_url)
        if not candidates:
            raise UserError(f"{wanted}: no feed found (the page links to no RSS or Atom feed)")
        problems = []
        for candidate in candidates:
            try:
                found, parsed = await _fetch_feed(fetcher, candidate)
            except UserError as exc:
                problems.append(str(exc))
                continue
            if parsed is not None:
                feed_url = found.final_url
                break
            problems.append(f"{candidate}: not a feed")
        if parsed is None:
            raise UserError(f"{wanted}: the page's feeds do not work ({'; '.join(problems)})")
    existing = find_feed(db, feed_url)
    if existing is not None:
        raise _already(existing)
    with db.session() as session:
        feed = Feed(url=feed_url, title=parsed.title[:512], site_url=parsed.site_url[:2048])
        session.add(feed)
    log.info("added feed #%s %s (%s)", feed.id, feed.url, feed.title)
    return feed


def list_feeds(db: Database) -> list[Feed]:
    """Every feed, oldest first."""
    with db.session() as session:
        return list(session.scalars(select(Feed).order_by(Feed.id)))


def remove_feed(db: Database, feed_id_or_url: int | str) -> Feed:
    """Remove a feed by id or URL; its stories stay. UserError if there is no such feed."""
    key = feed_id_or_url.strip() if isinstance(feed_id_or_url, str) else feed_id_or_url
    if isinstance(key, int) or key.lstrip("#").isdigit():
        feed_id = int(str(key).lstrip("#"))
        with db.session() as session:
            feed = session.get(Feed, feed_id)
            if feed is None:
                raise UserError(f"no feed with id {feed_id} (see 'newsdigest feeds list')")
            session.delete(feed)
        return feed
    found = find_feed(db, key)
    if found is None:
        raise UserError(f"{key}: no such feed in the list (see 'newsdigest feeds list')")
    with db.session() as session:
        feed = session.get(Feed, found.id)
        if feed is not None:
            session.delete(feed)
    return found


def import_feeds(db: Database, feeds: Sequence[OpmlFeed]) -> ImportReport:
    """Store every feed not already in the list, in one transaction."""
    stored = {canonical_url(feed.url) for feed in list_feeds(db)}
    added = 0
    with db.session() as session:
        for entry in feeds:
            key = canonical_url(entry.url)
            if key in stored:
                continue
            stored.add(key)
            session.add(Feed(url=entry.url, title=entry.title[:512], site_url=entry.site_url))
            added += 1
    return ImportReport(added=added, already_present=len(feeds) - added)


def ensure_default_feeds(db: Database, settings: Settings) -> int:
    """Give a new database the starting feeds (FEEDS_FILE, else the bundled list);
    returns how many were added.

    Only a database that has never been used gets them: no feeds and no stories. One
    whose owner removed every feed stays empty.
    """
    with db.session() as session:
        if session.scalar(select(func.count()).select_from(Feed)):
            return 0
        if session.scalar(select(func.count()).select_from(Story)):
            return 0
    source = settings.feeds_file.strip() or BUNDLED_DEFAULTS
    report = import_feeds(db, read_opml(source))
    log.info("seeded the feed list with %d feeds from %s", report.added, source)
    return report.added
