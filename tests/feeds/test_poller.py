"""Polling feeds from a local server: every fault on the wire, dedupe, conditional GET,
health and back-off, all recorded in a real SQLite database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from digests.config import Settings
from digests.feeds.catalog import import_feeds
from digests.feeds.opml import OpmlFeed
from digests.feeds.poller import poll_due_feeds, poll_interval
from digests.fetcher import Fetcher
from digests.storage import Database
from digests.storage.models import Feed, Story
from tests.feeds.sample_feeds import Item, fixture, rss
from tests.support.web import LocalWeb, closed_port_url

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        # Generous: the test machine is shared and busy; only the time-out test needs short.
        "fetch_timeout": 10.0,
        "fetch_connect_timeout": 10.0,
        "fetch_max_bytes": 20_000,
        "poll_interval_minutes": 15,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def add_feeds(db: Database, *urls: str) -> None:
    import_feeds(db, [OpmlFeed(url) for url in urls])


def feed_at(db: Database, url: str) -> Feed:
    with db.session() as session:
        return session.scalars(select(Feed).where(Feed.url == url)).one()


def stories(db: Database) -> list[Story]:
    with db.session() as session:
        return list(session.scalars(select(Story).order_by(Story.id)))


async def poll(db: Database, config: Settings | None = None, **kwargs: object):
    async with Fetcher(config or settings()) as fetcher:
        return await poll_due_feeds(db, fetcher, **kwargs)  # type: ignore[arg-type]


def story_link(web: LocalWeb, name: str) -> str:
    return web.url(f"/story/{name}")


async def test_every_fault_is_recorded_and_the_other_feeds_still_work(
    web: LocalWeb, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    good = web.add("/good.xml", rss([Item("Good news", story_link(web, "good"), "g-1")]))
    web.add("/loop-a", handler=lambda _r: (302, {"Location": "/loop-b"}, b""))
    web.add("/loop-b", handler=lambda _r: (302, {"Location": "/loop-a"}, b""))
    big_items = [
        Item(f"Story {n}", story_link(web, f"big-{n}"), description="x" * 200) for n in range(200)
    ]
    faults = {
        web.add("/slow.xml", rss([Item("Late", story_link(web, "late"))]), delay=4): (
            "timed out after 1.5s"
        ),
        closed_port_url("/refused.xml"): "connection refused",
        web.url("/missing.xml"): "HTTP 404",
        web.add("/gone.xml", "gone", status=410): "HTTP 410",
        web.add("/error.xml", "oops", status=500): "HTTP 500",
        web.add("/broken.xml", '<?xml version="1.0"?><rss version="2.0"><channel><titl'): (
            "malformed XML: "
        ),
        web.add("/page.xml", "<!doctype html><html><body>Home</body></html>"): (
            "not a feed (got an HTML page)"
        ),
        web.url("/loop-a"): f"redirect loop ({web.url('/loop-a')} → {web.url('/loop-b')} → ",
        web.add("/huge.xml", rss(big_items)): "body over 20000 bytes",
    }
    add_feeds(db, good, *faults)
    caplog.set_level("WARNING")

    report = await poll(db, settings(fetch_timeout=1.5), now=NOW)

    assert report.polled == len(faults) + 1
    assert report.failed == len(faults)
    assert report.new_stories == 1
    assert [s.title for s in stories(db)] == ["Good news"]
    for url, error in faults.items():
        feed = feed_at(db, url)
        assert feed.last_error is not None and feed.last_error.startswith(error), url
        assert feed.consecutive_failures == 1
        assert feed.last_error_at == NOW and feed.last_polled_at == NOW
        assert feed.last_success_at is None
        # Back-off: twice the interval after one failure.
        assert feed.next_poll_at == NOW + timedelta(minutes=30)
        # A log line names the feed and the problem.
        assert any(url in r.getMessage() and error in r.getMessage() for r in caplog.records)
        assert any(line.startswith(f"{url}: {error}") for line in report.errors)
    healthy = feed_at(db, good)
    assert healthy.consecutive_failures == 0 and healthy.last_error is None
    assert healthy.last_success_at == NOW and healthy.last_new_entry_at == NOW
    assert healthy.last_status == 200
    assert healthy.next_poll_at == NOW + timedelta(minutes=15)
    assert feed_at(db, web.url("/missing.xml")).last_status == 404


async def test_stories_from_every_format(web: LocalWeb, db: Database) -> None:
    base = web.base_url
    names = ["rss091.xml", "rss10.rdf", "rss20.xml", "atom.xml"]
    urls = [web.add(f"/{name}", fixture(name, base), content_type="text/xml") for name in names]
    add_feeds(db, *urls)

    report = await poll(db, now=NOW)

    assert (report.polled, report.failed, report.new_stories) == (4, 0, 9)
    by_title = {s.title: s for s in stories(db)}
    kyiv = by_title["Kyiv restores power after overnight strikes"]
    assert kyiv.status == "new"
    assert kyiv.url == f"{base}/world/kyiv-power?utm_source=rss&utm_medium=feed"
    assert kyiv.canonical_url == f"{base}/world/kyiv-power"
    assert kyiv.guid == "wire-1001"
    assert kyiv.feed_summary.startswith("Engineers worked through the night & restored")
    assert kyiv.published_at == datetime(2026, 3, 2, 7, 15, tzinfo=UTC)
    assert kyiv.first_seen_at == NOW
    assert kyiv.feed_id == feed_at(db, urls[2]).id
    assert "An entry that names no page" not in by_title
    assert by_title["Summit ends without a deal"].url == f"{base}/atom/summit-ends"
    # The feed's <ttl> (120 minutes) is longer than the 15-minute interval: honoured.
    rss20 = feed_at(db, urls[2])
    assert rss20.ttl_minutes == 120 and rss20.next_poll_at == NOW + timedelta(minutes=120)
    assert rss20.title == "World Wire & Co"


async def test_cyrillic_feeds_without_declared_encoding(web: LocalWeb, db: Database) -> None:
    base = web.base_url
    cp1251 = web.add("/cp1251.xml", fixture("uk-windows-1251.xml", base), content_type="text/xml")
    koi8 = web.add("/koi8.xml", fixture("ru-koi8-u.xml", base), content_type="application/xml")
    add_feeds(db, cp1251, koi8)

    report = await poll(db, now=NOW)

    assert report.failed == 0
    assert sorted(s.title for s in stories(db)) == sorted(
        [
            "Київ відновив електропостачання після нічної атаки",
            "Уряд ухвалив бюджет на наступний рік",
            "Переговоры о перемирии продолжатся в Женеве",
        ]
    )
    assert feed_at(db, cp1251).title == "Новини України"


async def test_empty_feed_entry_without_link_gzip_and_recovered_xml(
    web: LocalWeb, db: Database
) -> None:
    empty = web.add("/empty.xml", rss([], title="Quiet"))
    no_link = web.add(
        "/nolink.xml",
        rss([Item("No page", guid="tag:x,2026:1"), Item("Has page", story_link(web, "p"))]),
    )
    zipped = web.add("/zipped.xml", rss([Item("Compressed", story_link(web, "z"))]), gzip=True)
    recovered_body = rss([Item("Survivor", story_link(web, "s"))]).replace(
        "</channel></rss>", "<item><title>Cut off</ti"
    )
    recovered = web.add("/recovered.xml", recovered_body)
    add_feeds(db, empty, no_link, zipped, recovered)

    report = await poll(db, now=NOW)

    assert report.failed == 0
    assert sorted(s.title for s in stories(db)) == ["Compressed", "Has page", "Survivor"]
    assert web.hits_for("/zipped.xml")[0].headers["Accept-Encoding"]
    assert feed_at(db, empty).last_success_at == NOW
    assert feed_at(db, empty).last_new_entry_at is None
    # Broken XML that still gave entries: noted on the feed, not counted as a failure.
    noted = feed_at(db, recovered)
    assert noted.consecutive_failures == 0
    assert noted.last_error and noted.last_error.startswith("malformed XML, 2 entries recovered")


async def test_same_story_in_two_feeds_is_one_story(web: LocalWeb, db: Database) -> None:
    article = story_link(web, "summit")
    first = web.add("/one.xml", rss([Item("Summit ends", f"{article}?utm_source=one", "a-1")]))
    second = web.add(
        "/two.xml",
        rss([Item("Summit ends without deal", f"{article}?fbclid=XYZ#comments", "b-77")]),
    )
    add_feeds(db, first, second)

    report = await poll(db, now=NOW)

    assert report.new_stories == 1
    (story,) = stories(db)
    assert story.canonical_url == article


async def test_dropped_and_readded_items_are_not_new_again(web: LocalWeb, db: Database) -> None:
    a = Item("A", story_link(web, "a"), "guid-a")
    b = Item("B", story_link(web, "b"), "guid-b")
    c = Item("C", story_link(web, "c"), "guid-c")
    url = web.add("/feed.xml", rss([a, b]))
    add_feeds(db, url)
    assert (await poll(db, now=NOW)).new_stories == 2

    web.add("/feed.xml", rss([b, c]))  # A drops out
    assert (await poll(db, now=NOW + timedelta(hours=1))).new_stories == 1

    # A comes back: under its old GUID with a new tracking-laden link, and as a copy
    # with a new GUID but the same page. Neither is new.
    a_new_link = Item("A again", story_link(web, "a") + "?utm_campaign=back", "guid-a")
    a_new_guid = Item("A (updated)", story_link(web, "a"), "guid-a-v2")
    b_moved = Item("B moved", story_link(web, "b-moved"), "guid-b")
    web.add("/feed.xml", rss([a_new_link, a_new_guid, b_moved, b, c]))
    report = await poll(db, now=NOW + timedelta(hours=2))

    assert report.new_stories == 0
    assert [s.title for s in stories(db)] == ["A", "B", "C"]
    assert feed_at(db, url).last_new_entry_at == NOW + timedelta(hours=1)


async def test_conditional_get_round_trip(web: LocalWeb, db: Database) -> None:
    url = web.add(
        "/cond.xml",
        rss([Item("Only once", story_link(web, "once"))]),
        etag='"abc123"',
        last_modified="Mon, 02 Mar 2026 11:00:00 GMT",
    )
    add_feeds(db, url)
    first = await poll(db, now=NOW)
    assert (first.new_stories, first.not_modified) == (1, 0)
    stored = feed_at(db, url)
    assert (stored.etag, stored.last_modified) == ('"abc123"', "Mon, 02 Mar 2026 11:00:00 GMT")

    later = NOW + timedelta(minutes=20)
    second = await poll(db, now=later)

    assert (second.polled, second.not_modified, second.failed, second.new_stories) == (1, 1, 0, 0)
    request = web.hits_for("/cond.xml")[1]
    assert request.headers["If-None-Match"] == '"abc123"'
    assert request.headers["If-Modified-Since"] == "Mon, 02 Mar 2026 11:00:00 GMT"
    assert request.status == 304
    feed = feed_at(db, url)
    assert feed.last_status == 304
    assert feed.last_polled_at == later and feed.last_success_at == later
    assert feed.last_new_entry_at == NOW
    assert feed.etag == '"abc123"'
    assert len(stories(db)) == 1


async def test_only_due_feeds_are_polled_unless_forced(web: LocalWeb, db: Database) -> None:
    url = web.add("/due.xml", rss([Item("x", story_link(web, "x"))]))
    add_feeds(db, url)
    await poll(db, now=NOW)
    assert (await poll(db, now=NOW + timedelta(minutes=5))).polled == 0
    assert len(web.hits_for("/due.xml")) == 1
    ticks: list[int] = []
    forced = await poll(db, now=NOW + timedelta(minutes=5), force=True, progress=ticks.append)
    assert forced.polled == 1 and ticks == [1]
    assert (await poll(db, now=NOW + timedelta(minutes=25))).polled == 1


async def test_failing_feed_backs_off_and_recovers(web: LocalWeb, db: Database) -> None:
    url = web.add("/flaky.xml", "down", status=503)
    add_feeds(db, url)
    moment = NOW
    for failures in (1, 2, 3):
        await poll(db, now=moment)
        feed = feed_at(db, url)
        assert feed.consecutive_failures == failures
        assert feed.next_poll_at == moment + timedelta(minutes=15 * 2**failures)
        moment = feed.next_poll_at
    web.add("/flaky.xml", rss([Item("Back", story_link(web, "back"))]))
    await poll(db, now=moment)
    feed = feed_at(db, url)
    assert feed.consecutive_failures == 0 and feed.last_status == 200
    assert feed.last_error == "HTTP 503"  # the last error stays on record, with its time
    assert feed.next_poll_at == moment + timedelta(minutes=15)


async def test_cache_control_max_age_sets_a_longer_interval(web: LocalWeb, db: Database) -> None:
    url = web.add("/cached.xml", rss([]), headers={"Cache-Control": "public, max-age=3600"})
    short = web.add("/short.xml", rss([], ttl=5), headers={"Cache-Control": "max-age=60"})
    add_feeds(db, url, short)
    await poll(db, now=NOW)
    assert feed_at(db, url).next_poll_at == NOW + timedelta(minutes=60)
    # Asking for less than the global interval does not make a feed polled more often.
    assert feed_at(db, short).next_poll_at == NOW + timedelta(minutes=15)


def test_poll_interval_rules() -> None:
    config = settings(poll_interval_minutes=15)
    assert poll_interval(config) == timedelta(minutes=15)
    assert poll_interval(config, ttl_minutes=5) == timedelta(minutes=15)
    assert poll_interval(config, ttl_minutes=90) == timedelta(minutes=90)
    assert poll_interval(config, failures=2) == timedelta(minutes=60)
    assert poll_interval(config, ttl_minutes=7 * 24 * 60) == timedelta(hours=24)
    assert poll_interval(config, failures=40) == timedelta(hours=24)


async def test_many_feeds_in_one_round(web: LocalWeb, db: Database) -> None:
    shared = story_link(web, "wire-story")
    urls = []
    for n in range(40):
        items = [
            Item(f"Feed {n} story {k}", story_link(web, f"{n}-{k}"), f"{n}-{k}") for k in range(5)
        ]
        items.append(Item("Wire story", f"{shared}?utm_source=feed{n}", f"wire-{n}"))
        urls.append(web.add(f"/many/{n}.xml", rss(items)))
    add_feeds(db, *urls)
    report = await poll(db, settings(fetch_concurrency=8), now=NOW)
    assert (report.polled, report.failed, report.new_stories) == (40, 0, 40 * 5 + 1)


async def test_a_feed_that_cannot_be_stored_does_not_lose_the_others(
    web: LocalWeb, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digests.feeds.poller as poller

    urls = [
        web.add(f"/w/{n}.xml", rss([Item(f"S{n}", story_link(web, f"w{n}"))])) for n in range(5)
    ]
    add_feeds(db, *urls)
    cursed = feed_at(db, urls[2]).id
    real_apply = poller._apply

    def apply(session, settings, outcome, now):
        if outcome.feed.id == cursed:
            raise RuntimeError("disk on fire")
        return real_apply(session, settings, outcome, now)

    monkeypatch.setattr(poller, "_apply", apply)
    report = await poll(db, now=NOW)

    assert (report.polled, report.failed, report.new_stories) == (5, 1, 4)
    assert report.errors == [f"{urls[2]}: could not store: RuntimeError: disk on fire"]
    assert sorted(s.title for s in stories(db)) == ["S0", "S1", "S3", "S4"]


def test_a_story_stored_meanwhile_by_another_writer_is_skipped(db: Database) -> None:
    from digests.feeds.poller import _insert_stories

    def row(n: int) -> dict:
        return {"url": f"https://e.example/{n}", "canonical_url": f"https://e.example/{n}"}

    with db.session() as session:
        session.add(Story(**row(2)))
    with db.session() as session:
        assert _insert_stories(session, [row(1), row(2), row(3)]) == 2
    assert sorted(s.url for s in stories(db)) == [row(n)["url"] for n in (1, 2, 3)]
