"""The feed list: adding (with autodiscovery), removing, OPML both ways, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from digests.config import Settings
from digests.errors import UserError
from digests.feeds.catalog import (
    add_feed,
    ensure_default_feeds,
    import_feeds,
    list_feeds,
    remove_feed,
)
from digests.feeds.discovery import discover_feeds
from digests.feeds.opml import BUNDLED_DEFAULTS, OpmlFeed, parse_opml, read_opml, render_opml
from digests.fetcher import Fetcher
from digests.storage import Database
from digests.storage.models import Feed, Story
from tests.feeds.sample_feeds import Item, rss
from tests.support.web import LocalWeb, closed_port_url

HOME_PAGE = """<!DOCTYPE html>
<html><head>
<title>Daily Planet</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Top stories" href="/feeds/top.xml">
<link rel="alternate" type="application/atom+xml" href="https://cdn.example/atom">
<link rel="alternate" hreflang="fr" href="/fr/">
</head><body><p>Welcome</p></body></html>"""


def test_discovery_finds_alternate_feeds_and_resolves_hrefs() -> None:
    assert discover_feeds(HOME_PAGE, "https://planet.example/news/index.html") == [
        "https://planet.example/feeds/top.xml",
        "https://cdn.example/atom",
    ]
    with_base = (
        '<head><base href="https://b.example/x/">'
        '<link rel="alternate feed" type="application/atom+xml" href="a.xml"></head>'
    )
    assert discover_feeds(with_base, "https://other.example/") == ["https://b.example/x/a.xml"]
    assert discover_feeds("<html><body>no feeds</body></html>", "https://e.example/") == []


def settings() -> Settings:
    return Settings(fetch_timeout=10, fetch_connect_timeout=10)


async def test_add_feed_directly_and_through_a_home_page(web: LocalWeb, db: Database) -> None:
    direct = web.add("/direct.xml", rss([Item("x", web.url("/s/x"))], title="Direct Feed"))
    web.add("/", HOME_PAGE.replace("https://cdn.example/atom", "/atom.xml"))
    web.add("/feeds/top.xml", rss([], title="Planet Top Stories"))
    async with Fetcher(settings()) as fetcher:
        first = await add_feed(db, fetcher, direct)
        second = await add_feed(db, fetcher, web.url("/"))
        with pytest.raises(UserError, match="already in the feed list as #2"):
            await add_feed(db, fetcher, web.url("/feeds/top.xml#x"))
    assert (first.url, first.title) == (direct, "Direct Feed")
    assert (second.url, second.title) == (web.url("/feeds/top.xml"), "Planet Top Stories")
    assert [f.url for f in list_feeds(db)] == [direct, web.url("/feeds/top.xml")]


async def test_add_feed_bad_input_names_it_and_stores_nothing(web: LocalWeb, db: Database) -> None:
    web.add("/plain", "<html><head><title>No feeds</title></head><body>hi</body></html>")
    web.add("/data.bin", b"\x00\x01binary", content_type="application/octet-stream")
    cases = {
        "": "empty URL",
        "ftp://files.example/feed": "'ftp://files.example/feed' is not a web address",
        web.url("/missing"): f"{web.url('/missing')}: HTTP 404",
        closed_port_url("/rss"): "connection refused",
        web.url("/plain"): f"{web.url('/plain')}: no feed found",
        web.url("/data.bin"): "not a feed, and not a web page that links to one",
    }
    async with Fetcher(settings()) as fetcher:
        for url, message in cases.items():
            with pytest.raises(UserError) as caught:
                await add_feed(db, fetcher, url)
            assert message in str(caught.value)
            assert "\n" not in str(caught.value)
    assert list_feeds(db) == []


def test_remove_feed_by_id_or_url_keeps_its_stories(db: Database) -> None:
    import_feeds(db, [OpmlFeed("https://a.example/rss"), OpmlFeed("https://b.example/rss")])
    a, b = list_feeds(db)
    with db.session() as session:
        session.add(
            Story(feed_id=a.id, url="https://a.example/1", canonical_url="https://a.example/1")
        )
    assert remove_feed(db, str(a.id)).url == "https://a.example/rss"
    assert remove_feed(db, "HTTPS://B.example/rss").id == b.id
    with pytest.raises(UserError, match="no feed with id 99"):
        remove_feed(db, 99)
    with pytest.raises(UserError, match="no such feed"):
        remove_feed(db, "https://nowhere.example/rss")
    assert list_feeds(db) == []
    with db.session() as session:
        story = session.scalars(select(Story)).one()
    assert story.feed_id is None


def test_opml_round_trip(db: Database) -> None:
    feeds = [
        OpmlFeed("https://a.example/rss", "A & Co <News>", "https://a.example/"),
        OpmlFeed("https://b.example/atom.xml", "Новини", ""),
    ]
    document = render_opml(feeds)
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<opml version=\"2.0\">")
    assert parse_opml(document, "export.opml") == feeds
    assert import_feeds(db, parse_opml(document, "export.opml")).added == 2
    again = import_feeds(db, feeds)
    assert (again.added, again.already_present) == (0, 2)


def test_opml_in_the_wild_nested_folders_and_attribute_case() -> None:
    document = b"""<?xml version="1.0"?>
<opml version="1.0"><head><title>mine</title></head><body>
  <outline text="World"><outline text="BBC" xmlurl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
    <outline text="Deeper"><outline title="NPR" type="rss" xmlUrl="https://feeds.npr.org/1004/rss.xml"/></outline>
  </outline>
  <outline text="a note without a feed"/>
</body></opml>"""
    assert parse_opml(document, "x.opml") == [
        OpmlFeed("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC"),
        OpmlFeed("https://feeds.npr.org/1004/rss.xml", "NPR"),
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"<opml><body><outline xmlUrl='https://a.example/rss'>", "broken XML"),
        (b"<rss version='2.0'><channel/></rss>", "the document is not <opml>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"<opml version='2.0'><body><outline text='x'/></body></opml>", "no feeds in it"),
        (
            b"<opml version='2.0'><body><outline xmlUrl='javascript:alert(1)'/></body></opml>",
            "'javascript:alert(1)' is not an http(s) URL",
        ),
        (b"", "broken XML"),
    ],
)
def test_broken_opml_is_a_one_line_error(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "mine.opml"
    path.write_bytes(content)
    with pytest.raises(UserError) as caught:
        read_opml(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message


def test_missing_opml_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"nope\.opml: cannot read it"):
        read_opml(tmp_path / "nope.opml")


def test_bundled_defaults_are_real_world_news_feeds(db: Database) -> None:
    defaults = read_opml(BUNDLED_DEFAULTS)
    assert 14 <= len(defaults) <= 20
    urls = {feed.url for feed in defaults}
    assert {
        "https://feeds.bbci.co.uk/news/world/rss.xml",
        "https://rss.nytimes.com/services/xml/rss/nyt/World.xml",
        "https://www.theguardian.com/world/rss",
        "https://www.aljazeera.com/xml/rss/all.xml",
    } <= urls
    assert all(url.startswith("https://") for url in urls)
    assert all(feed.title for feed in defaults)


def test_ensure_default_feeds_seeds_only_a_new_database(db: Database, tmp_path: Path) -> None:
    assert ensure_default_feeds(db, Settings()) == len(read_opml(BUNDLED_DEFAULTS))
    assert ensure_default_feeds(db, Settings()) == 0
    for feed in list_feeds(db):
        remove_feed(db, feed.id)
    with db.session() as session:
        session.add(Story(url="https://x.example/1", canonical_url="https://x.example/1"))
    # Someone removed every feed on purpose: they stay removed.
    assert ensure_default_feeds(db, Settings()) == 0


def test_ensure_default_feeds_reads_feeds_file(db_url: str, tmp_path: Path) -> None:
    from digests.storage import open_database

    own = tmp_path / "own.opml"
    own.write_bytes(render_opml([OpmlFeed("https://mine.example/rss", "Mine")]))
    db = open_database(db_url)
    try:
        assert ensure_default_feeds(db, Settings(feeds_file=str(own))) == 1
        with db.session() as session:
            assert session.scalars(select(Feed.url)).all() == ["https://mine.example/rss"]
    finally:
        db.dispose()
