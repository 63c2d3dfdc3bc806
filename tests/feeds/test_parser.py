"""Parsing feeds: every format, broken documents, undeclared Cyrillic encodings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digests.feeds.parser import (
    FeedParseError,
    decide_encoding,
    html_to_text,
    parse_feed,
)
from tests.feeds.sample_feeds import Item, fixture, rss

BASE = "http://news.test"


def test_rss_091() -> None:
    feed = parse_feed(fixture("rss091.xml", BASE), f"{BASE}/rss091")
    assert feed.title == "Old Wire World News"
    assert [e.url for e in feed.entries] == [
        f"{BASE}/stories/harbour-reopens.html",
        f"{BASE}/stories/elections-spring.html",
    ]
    # Declared ISO-8859-1, read as such.
    assert feed.entries[0].summary == (
        "The port of Sète reopened on Tuesday after a three-day closure."
    )


def test_rss_10_with_syndication_period() -> None:
    feed = parse_feed(fixture("rss10.rdf", BASE), f"{BASE}/rss10")
    assert feed.title == "RDF Daily"
    assert [e.title for e in feed.entries] == [
        "Ceasefire talks resume in Geneva",
        "Grain corridor extended",
    ]
    assert feed.entries[1].published_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert feed.ttl_minutes == 60


def test_rss_20_entries_plain_text_and_ttl() -> None:
    feed = parse_feed(fixture("rss20.xml", BASE), f"{BASE}/rss20")
    assert feed.title == "World Wire & Co"
    assert feed.ttl_minutes == 120
    first, permalink, undated = feed.entries
    assert first.guid == "wire-1001"
    assert first.url == f"{BASE}/world/kyiv-power?utm_source=rss&utm_medium=feed"
    assert first.summary == (
        "Engineers worked through the night & restored power to 90% of homes. "
        "More outages are expected."
    )
    assert first.published_at == datetime(2026, 3, 2, 7, 15, tzinfo=UTC)
    # No <link>: a GUID that is a URL names the page.
    assert permalink.url == f"{BASE}/world/permalink-only"
    assert permalink.title == "Permalink only story"
    assert permalink.published_at == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    assert undated.published_at is None
    assert undated.summary == "Only full content, no description."
    # No link and a GUID that is not a URL: left out, with the reason.
    assert feed.skipped == ["entry 'An entry that names no page' has no link"]


def test_atom_relative_links_and_html_titles() -> None:
    feed = parse_feed(fixture("atom.xml", BASE), f"{BASE}/atom.xml")
    assert feed.title == "Atom World"
    assert feed.site_url == f"{BASE}/"
    summit, floods = feed.entries
    assert summit.url == f"{BASE}/atom/summit-ends"
    assert summit.title == "Summit ends without a deal"
    assert summit.summary == "Leaders left Brussels on Sunday."
    assert summit.published_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert floods.summary == "Rivers rose two metres."


UK_TITLES = [
    "Київ відновив електропостачання після нічної атаки",
    "Уряд ухвалив бюджет на наступний рік",
]


@pytest.mark.parametrize("name", ["uk-windows-1251.xml", "uk-koi8-u.xml"])
def test_undeclared_ukrainian_encodings(name: str) -> None:
    body = fixture(name, BASE)
    assert b'encoding="' not in body  # nothing declares it: we must work it out
    feed = parse_feed(body, f"{BASE}/{name}", "text/xml")
    assert feed.title == "Новини України"
    assert [e.title for e in feed.entries] == UK_TITLES
    assert feed.entries[0].summary.endswith("Її відновлення триватиме ще кілька днів.")


@pytest.mark.parametrize(
    ("name", "encoding"), [("ru-windows-1251.xml", "cp1251"), ("ru-koi8-u.xml", "koi8-u")]
)
def test_undeclared_russian_encodings(name: str, encoding: str) -> None:
    feed = parse_feed(fixture(name, BASE), f"{BASE}/{name}")
    assert feed.encoding == encoding
    assert feed.entries[0].title == "Переговоры о перемирии продолжатся в Женеве"


def test_short_cyrillic_title_is_still_told_apart() -> None:
    for codec in ("cp1251", "koi8_u"):
        assert decide_encoding("Війна і мир".encode(codec)) == codec


def test_declared_encoding_wins_and_western_text_is_not_taken_for_cyrillic() -> None:
    latin = "<rss><channel><title>Café crème à Sète</title></channel></rss>".encode("latin-1")
    assert decide_encoding(latin) is None  # left to feedparser's own guess
    assert decide_encoding(latin, "application/xml; charset=iso-8859-1") == "iso-8859-1"
    assert decide_encoding("Новини".encode("koi8_u"), "text/xml; charset=koi8-u") == "koi8-u"
    # A header that lies (UTF-8 declared, windows-1251 sent) does not win.
    assert decide_encoding("Новини дня".encode("cp1251"), "text/xml; charset=utf-8") == "cp1251"


def test_html_page_is_not_a_feed() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>Home</title></head><body><p>Hi</p></body></html>"
    with pytest.raises(FeedParseError, match=r"^not a feed \(got an HTML page\)$"):
        parse_feed(page, f"{BASE}/")


def test_malformed_xml_without_entries_is_an_error() -> None:
    with pytest.raises(FeedParseError, match=r"^malformed XML: "):
        parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</ti', BASE)


def test_malformed_xml_keeps_the_entries_it_recovered() -> None:
    body = rss([Item("One", "http://a.test/1"), Item("Two", "http://a.test/2")])
    broken = body.replace("</channel></rss>", "<item><title>Three</titl").encode()
    feed = parse_feed(broken, BASE)
    assert [e.title for e in feed.entries][:2] == ["One", "Two"]
    assert feed.warning and feed.warning.startswith("malformed XML, ")


def test_empty_feed_and_empty_body() -> None:
    assert parse_feed(rss([]).encode(), BASE).entries == []
    with pytest.raises(FeedParseError, match="empty document"):
        parse_feed(b"  \n", BASE)
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(b"just some words", BASE)


def test_html_to_text() -> None:
    assert html_to_text("<p>One&nbsp;two</p><p>three &amp; <i>four</i></p>") == (
        "One two three & four"
    )
    assert html_to_text("a<br>b<style>p{}</style><script>x()</script>") == "a b"
    assert html_to_text("Fish &amp; chips &#8212; &quot;fresh&quot;") == 'Fish & chips — "fresh"'
    assert html_to_text("AT&T  rises") == "AT&T rises"


def test_relative_links_are_resolved_against_the_feed_url() -> None:
    body = rss([Item("Relative", "/world/relative-story?id=3")]).replace(
        "<link>http://127.0.0.1/</link>", "<link>/</link>"
    )
    feed = parse_feed(body.encode(), "https://site.example/feeds/world.xml")
    assert feed.entries[0].url == "https://site.example/world/relative-story?id=3"
    assert feed.site_url == "https://site.example/"
