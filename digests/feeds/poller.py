"""Polling: every due feed fetched (conditionally), parsed, its new entries stored as
stories, and its health and next poll time recorded.

A story is new only if neither its canonical URL (across all feeds) nor its GUID
(within its feed) was seen before, so a feed that drops and re-adds an item, or two
feeds carrying the same article, make one story. One feed's failure never stops the
others.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from digests.config import Settings
from digests.feeds.canonical import canonical_url
from digests.feeds.parser import FeedEntry, FeedParseError, ParsedFeed, parse_feed_async
from digests.fetcher import Fetcher, FetchResult
from digests.storage import Database
from digests.storage.models import Feed, Story, utcnow

log = logging.getLogger(__name__)

MAX_INTERVAL = timedelta(hours=24)
# SQLite allows 32766 bound parameters per statement; stay well below any backend's limit.
LOOKUP_CHUNK = 500
# Feeds written per transaction, at most; and their entries, at most: a transaction must
# hold SQLite's one write lock for milliseconds so that the bot's own writes (a /topic) get
# it in between (100 feeds with new entries at once made a /topic wait seconds), while a
# round of 304s, only health updates, still commits rarely.
WRITE_BATCH = 100
WRITE_BATCH_ENTRIES = 300
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass
class PollReport:
    """What one polling round did."""

    polled: int = 0
    not_modified: int = 0
    failed: int = 0
    new_stories: int = 0
    errors: list[str] = field(default_factory=list)  # "feed URL: reason", one per failed feed


@dataclass(frozen=True)
class FeedState:
    """What polling needs to know about a feed, detached from the database."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    consecutive_failures: int
    ttl_minutes: int | None
    has_title: bool
    has_site_url: bool = False


@dataclass
class FeedOutcome:
    """One feed's poll, before it is written down."""

    feed: FeedState
    fetched: FetchResult | None = None
    parsed: ParsedFeed | None = None
    error: str | None = None


def poll_interval(
    settings: Settings, ttl_minutes: int | None = None, failures: int = 0
) -> timedelta:
    """How long until a feed's next poll.

    The global POLL_INTERVAL_MINUTES, or longer when the feed asks for it (<ttl>,
    Cache-Control max-age) — a feed is never polled sooner than the global interval.
    A failing feed waits interval × 2^failures. Never more than 24 hours.
    """
    base = timedelta(minutes=max(1, settings.poll_interval_minutes))
    if ttl_minutes:
        base = max(base, timedelta(minutes=ttl_minutes))
    if failures > 0:
        base = base * (2 ** min(failures, 16))
    return min(base, MAX_INTERVAL)


def max_age_minutes(headers: dict[str, str]) -> int | None:
    """The whole minutes of a Cache-Control max-age, if the answer carries one."""
    match = _MAX_AGE.search(headers.get("cache-control", ""))
    if not match:
        return None
    return int(match.group(1)) // 60 or None


def _due_feeds(db: Database, now: datetime, force: bool) -> list[FeedState]:
    query = select(Feed).where(Feed.enabled.is_(True)).order_by(Feed.id)
    if not force:
        query = query.where(or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now))
    with db.session() as session:
        return [
            FeedState(
                id=feed.id,
                url=feed.url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                consecutive_failures=feed.consecutive_failures or 0,
                ttl_minutes=feed.ttl_minutes,
                has_title=bool(feed.title),
                has_site_url=bool(feed.site_url),
            )
            for feed in session.scalars(query)
        ]


def count_due_feeds(db: Database, *, now: datetime | None = None, force: bool = False) -> int:
    """How many feeds a poll at `now` would fetch."""
    return len(_due_feeds(db, now or utcnow(), force))


async def _fetch_and_parse(fetcher: Fetcher, feed: FeedState) -> FeedOutcome:
    outcome = FeedOutcome(feed)
    try:
        outcome.fetched = await fetcher.fetch(
            feed.url, etag=feed.etag, last_modified=feed.last_modified
        )
        if outcome.fetched.error:
            outcome.error = outcome.fetched.error
        elif outcome.fetched.ok:
            fetched = outcome.fetched
            outcome.parsed = await parse_feed_async(
                fetched.body, fetched.final_url, fetched.headers.get("content-type", "")
            )
    except FeedParseError as exc:
        outcome.error = str(exc)
    except Exception as exc:  # one feed's surprise must not stop the round
        log.exception("feed %s: unexpected error while polling", feed.url)
        outcome.error = f"unexpected error: {type(exc).__name__}: {exc}"
    return outcome


def _chunks(values: Sequence, size: int = LOOKUP_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _new_stories(
    session: Session, feed_id: int, entries: Sequence[FeedEntry], now: datetime
) -> list[dict]:
    """Rows for the entries not seen before, under their canonical URL or their GUID."""
    candidates: list[tuple[str, FeedEntry]] = []
    batch_urls: set[str] = set()
    batch_guids: set[str] = set()
    for entry in entries:
        key = canonical_url(entry.url)
        # The same item twice in one document counts once.
        if key in batch_urls or (entry.guid and entry.guid in batch_guids):
            continue
        batch_urls.add(key)
        if entry.guid:
            batch_guids.add(entry.guid)
        candidates.append((key, entry))
    if not candidates:
        return []
    seen_urls: set[str] = set()
    for chunk in _chunks(sorted(batch_urls)):
        seen_urls.update(
            session.scalars(select(Story.canonical_url).where(Story.canonical_url.in_(chunk)))
        )
    seen_guids: set[str] = set()
    for chunk in _chunks(sorted(batch_guids)):
        seen_guids.update(
            guid
            for guid in session.scalars(
                select(Story.guid).where(Story.feed_id == feed_id, Story.guid.in_(chunk))
            )
            if guid
        )
    return [
        {
            "feed_id": feed_id,
            "guid": entry.guid,
            "url": entry.url,
            "canonical_url": key,
            "title": entry.title,
            "feed_summary": entry.summary,
            "published_at": entry.published_at,
            "first_seen_at": now,
            "status": "new",
            "text": "",
            "summary": [],
            "authors": [],
            "top_image": "",
            "language": "",
            "extractor": "",
            "extract_attempts": 0,
        }
        for key, entry in candidates
        if key not in seen_urls and not (entry.guid and entry.guid in seen_guids)
    ]


def _insert_stories(session: Session, rows: list[dict]) -> int:
    """Insert rows, skipping any another writer stored since we looked; returns how many
    were inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        session.execute(insert(Story), rows)
        return len(rows)
    # ON CONFLICT rather than savepoints: pysqlite's SAVEPOINT handling commits early.
    statement = dialect_insert(Story).on_conflict_do_nothing().returning(Story.id)
    return len(session.execute(statement, rows).all())


def _apply(
    session: Session, settings: Settings, outcome: FeedOutcome, now: datetime
) -> tuple[int, dict[str, Any]]:
    """Store one feed's new stories in `session`; returns how many, and the feed's new
    column values (validators, health, next poll time) keyed by column name."""
    state, fetched, parsed = outcome.feed, outcome.fetched, outcome.parsed
    values: dict[str, Any] = {
        "feed_id": state.id,
        "last_polled_at": now,
        "last_status": fetched.status if fetched is not None else 0,
    }
    ttl, failures, new = state.ttl_minutes, 0, 0
    if outcome.error is not None:
        failures = state.consecutive_failures + 1
        values.update(last_error=outcome.error, last_error_at=now)
    else:
        assert fetched is not None
        values["last_success_at"] = now
        wish = max_age_minutes(fetched.headers)
        if parsed is not None:
            # A 200: new validators (or none), the feed's own caching wish.
            wishes = [m for m in (parsed.ttl_minutes, wish) if m]
            ttl = max(wishes) if wishes else None
            values.update(
                etag=fetched.headers.get("etag") or None,
                last_modified=fetched.headers.get("last-modified") or None,
                ttl_minutes=ttl,
            )
            if parsed.title and not state.has_title:
                values["title"] = parsed.title[:512]
            if parsed.site_url and not state.has_site_url:
                values["site_url"] = parsed.site_url[:2048]
            if parsed.warning:
                values.update(last_error=parsed.warning, last_error_at=now)
            new = _insert_stories(session, _new_stories(session, state.id, parsed.entries, now))
            if new:
                values["last_new_entry_at"] = now
        elif wish:
            ttl = max(wish, ttl or 0)
            values["ttl_minutes"] = ttl
    values["consecutive_failures"] = failures
    values["next_poll_at"] = now + poll_interval(settings, ttl, failures)
    return new, values


def _update_feeds(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE each feed by id with its values, one executemany per set of columns."""
    table = Feed.__table__
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for columns, group in groups.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("feed_id"))
            .values({name: bindparam(name) for name in columns if name != "feed_id"})
        )
        session.execute(statement, group)


def _record(
    db: Database, settings: Settings, outcomes: Sequence[FeedOutcome], now: datetime
) -> list[int | Exception]:
    """Write several feeds' polls in one transaction (per-feed commits would be most of
    the cost of a round of 304s); if that fails, write them one by one so only the
    culprit is lost. Returns each feed's number of new stories, or the exception that
    kept it from being stored."""
    try:
        with db.session() as session:
            applied = [_apply(session, settings, outcome, now) for outcome in outcomes]
            _update_feeds(session, [values for _, values in applied])
            return [new for new, _ in applied]
    except Exception:
        if len(outcomes) == 1:
            raise
    results: list[int | Exception] = []
    for outcome in outcomes:
        try:
            with db.session() as session:
                new, values = _apply(session, settings, outcome, now)
                _update_feeds(session, [values])
            results.append(new)
        except Exception as exc:
            log.exception("feed %s: could not store the poll", outcome.feed.url)
            results.append(exc)
    return results


def _entry_count(outcome: FeedOutcome) -> int:
    return len(outcome.parsed.entries) if outcome.parsed is not None else 0


def _log_outcome(outcome: FeedOutcome, new: int) -> None:
    url = outcome.feed.url
    if outcome.error is not None:
        log.warning("feed %s failed: %s", url, outcome.error)
        return
    if outcome.parsed is None:
        log.debug("feed %s: not modified", url)
        return
    if outcome.parsed.warning:
        log.warning("feed %s: %s", url, outcome.parsed.warning)
    for reason in outcome.parsed.skipped:
        log.info("feed %s: skipped an %s", url, reason)
    log.debug("feed %s: %d entries, %d new", url, len(outcome.parsed.entries), new)


async def poll_due_feeds(
    db: Database,
    fetcher: Fetcher,
    *,
    now: datetime | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> PollReport:
    """Poll every enabled feed whose next poll time has come (all of them with
    `force`), store new entries as stories with status "new", record each feed's
    health; never raises for a feed's trouble."""
    now = now or utcnow()
    settings = fetcher.settings
    feeds = _due_feeds(db, now, force)
    report = PollReport()
    # Fetching runs concurrently; writing goes through one writer, off the event loop, a
    # batch of finished feeds per transaction. SQLite has one writer anyway, and a serial
    # order makes "the same URL in two feeds" one story without races.
    finished: asyncio.Queue[FeedOutcome] = asyncio.Queue()

    async def fetch_one(feed: FeedState) -> None:
        outcome = FeedOutcome(feed, error="the poll did not finish")
        try:
            outcome = await _fetch_and_parse(fetcher, feed)
        finally:
            # Always one outcome per feed: the writer counts them to know when to stop.
            finished.put_nowait(outcome)

    def account(outcome: FeedOutcome, stored: int | Exception) -> None:
        if isinstance(stored, Exception):
            error = f"could not store: {type(stored).__name__}: {stored}"
            outcome.error = outcome.error or error
            stored = 0
        _log_outcome(outcome, stored)
        report.polled += 1
        report.new_stories += stored
        if outcome.error is not None:
            report.failed += 1
            report.errors.append(f"{outcome.feed.url}: {outcome.error}")
        elif outcome.fetched is not None and outcome.fetched.not_modified:
            report.not_modified += 1
        if progress is not None:
            progress(1)

    async def write_all() -> None:
        remaining = len(feeds)
        while remaining:
            batch = [await finished.get()]
            entries = _entry_count(batch[0])
            while not finished.empty() and len(batch) < WRITE_BATCH:
                if entries >= WRITE_BATCH_ENTRIES:
                    break
                batch.append(finished.get_nowait())
                entries += _entry_count(batch[-1])
            try:
                results = await asyncio.to_thread(_record, db, settings, batch, now)
            except Exception as exc:
                log.exception("feed %s: could not store the poll", batch[0].feed.url)
                results = [exc] * len(batch)
            for outcome, stored in zip(batch, results, strict=True):
                account(outcome, stored)
            remaining -= len(batch)

    await asyncio.gather(write_all(), *(fetch_one(feed) for feed in feeds))
    return report
