"""Canonical story URLs: tracking dropped, the page's own parameters kept."""

from __future__ import annotations

import pytest

from digests.feeds.canonical import canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.COM/News/Story", "https://www.example.com/News/Story"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a#comments", "https://example.com/a"),
        (
            "https://example.com/a?id=7&utm_source=rss&utm_medium=feed&UTM_Campaign=x",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?fbclid=IwAR0&gclid=Cj0&page=2", "https://example.com/a?page=2"),
        ("https://example.com/a?mc_cid=1&mc_eid=2&ocid=3&msclkid=4", "https://example.com/a"),
        (
            "https://www.bbc.co.uk/news/articles/c0?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.co.uk/news/articles/c0",
        ),
        # The page's own parameters keep their order and their exact spelling.
        ("https://example.com/s?z=1&a=%20b&utm_term=q&m=", "https://example.com/s?z=1&a=%20b&m="),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_tracking_variants_are_one_url() -> None:
    variants = [
        "https://news.example/world/kyiv-power",
        "https://NEWS.example:443/world/kyiv-power?utm_source=twitter",
        "https://news.example/world/kyiv-power?fbclid=abc#top",
        "https://news.example/world/kyiv-power?gclid=1&utm_campaign=spring",
    ]
    assert len({canonical_url(url) for url in variants}) == 1


def test_different_pages_stay_different() -> None:
    assert canonical_url("https://e.test/a?id=1") != canonical_url("https://e.test/a?id=2")
    assert canonical_url("https://e.test/a") != canonical_url("https://e.test/A")
