"""process_new_stories against pages served on 127.0.0.1: the article when the page can
be read, the feed's own text and the reason when it cannot — and never a lost story."""

from __future__ import annotations

from sqlalchemy import select

from digests.config import Settings
from digests.extract.processor import process_new_stories
from digests.fetcher import Fetcher
from digests.storage import Database
from digests.storage.models import Story
from tests.extract.corpus import all_pages, seed_page
from tests.extract.slow_reader import read_page_slowly
from tests.support.web import LocalWeb

FEED_TEXT = (
    "Ukraine's allies agreed on Tuesday to provide key aspects of postwar security. "
    "France and Britain said they would commit troops after a cease-fire."
)

CONSENT_WALL = """<!DOCTYPE html><html lang="en"><head><title>Before you continue</title></head>
<body><div class="consent"><h1>Before you continue</h1>
<p>We use cookies and data to deliver and maintain our services, measure audience
engagement and show personalised ads. Click Accept all to consent, or see privacy settings.</p>
<p>If you choose to subscribe, you can read all our journalism. Already a subscriber? Sign in.</p>
<button>Accept all</button><button>Reject all</button></div></body></html>"""


def _settings(**overrides: object) -> Settings:
    values = {"extract_workers": 2, "extract_timeout": 20.0, "fetch_timeout": 5.0}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _add_story(db: Database, url: str, title: str = "A story", summary: str = FEED_TEXT) -> int:
    with db.session() as session:
        story = Story(url=url, canonical_url=url, guid=url, title=title, feed_summary=summary)
        session.add(story)
        session.flush()
        return story.id


def _story(db: Database, story_id: int) -> Story:
    with db.session() as session:
        return session.scalars(select(Story).where(Story.id == story_id)).one()


async def _process(db: Database, settings: Settings, **kwargs: object):
    async with Fetcher(settings) as fetcher:
        return await process_new_stories(db, fetcher, settings, **kwargs)  # type: ignore[arg-type]


async def test_seed_shaped_page_gives_the_article_only(db: Database, web: LocalWeb) -> None:
    page = seed_page()
    url = web.add("/2026/01/07/european-allies/", page.html)
    story_id = _add_story(db, url, title=page.title)

    report = await _process(db, _settings())

    story = _story(db, story_id)
    assert (report.extracted, report.fell_back) == (1, 0)
    assert story.status == "extracted"
    assert story.extractor.startswith("newspaper4k")
    assert story.text.startswith(page.first_paragraph)
    assert story.text.endswith(page.last_paragraph)
    for furniture in (
        "No Result",
        "View All Result",
        "Read more",
        "appeared first on",
        "Greenland",
        "Master Chief Bundle",
        "DNYUZ © 2025",
        "Home",
    ):
        assert furniture not in story.text
    assert story.language == "en"
    assert story.top_image.endswith("facebookJumbo.jpg")
    assert 1 <= len(story.summary) <= 3
    assert sum(len(s) for s in story.summary) <= 600
    assert story.extract_error is None
    assert story.extract_attempts == 1 and story.processed_at is not None


async def test_unreadable_pages_fall_back_to_the_feed_text_with_the_reason(
    db: Database, web: LocalWeb
) -> None:
    good = seed_page()
    ids = {
        "good": _add_story(db, web.add("/good", good.html)),
        "403": _add_story(db, web.add("/forbidden", "no", status=403)),
        "404": _add_story(db, web.url("/missing")),
        "timeout": _add_story(db, web.add("/slow-server", good.html, delay=6)),
        "pdf": _add_story(
            db, web.add("/report.pdf", b"%PDF-1.7\n...", content_type="application/pdf")
        ),
        "pdf as html": _add_story(db, web.add("/mislabelled", b"%PDF-1.4\n%\xe2\xe3")),
        "image": _add_story(db, web.add("/photo", b"\x89PNG\r\n\x1a\n", content_type="image/png")),
        "consent": _add_story(db, web.add("/consent", CONSENT_WALL)),
        "title only": _add_story(db, web.add("/gone", "x", status=410), summary=""),
    }

    report = await _process(db, _settings(fetch_timeout=3.0))

    stories = {name: _story(db, story_id) for name, story_id in ids.items()}
    assert report.extracted == 1 and report.fell_back == len(ids) - 1
    assert stories["good"].status == "extracted"
    expected_errors = {
        "403": "HTTP 403",
        "404": "HTTP 404",
        "timeout": "timed out",
        "pdf": "not HTML (application/pdf)",
        "pdf as html": "not HTML (application/pdf)",
        "image": "not HTML (image/png)",
        "consent": "page text",
        "title only": "HTTP 410",
    }
    for name, error in expected_errors.items():
        story = stories[name]
        assert story.status == "fallback", name
        assert error in (story.extract_error or ""), (name, story.extract_error)
        assert story.extractor == "feed"
        assert story.title == "A story"
    for name in ("403", "404", "timeout", "pdf", "consent"):
        assert stories[name].text == FEED_TEXT
        assert stories[name].summary, name
    assert stories["title only"].summary == []
    assert all(s.status != "new" for s in stories.values())


async def test_cjk_pages_are_read_without_errors(db: Database, web: LocalWeb) -> None:
    pages = {p.name: p for p in all_pages()}
    ids = {
        name: _add_story(db, web.add(f"/{name}", pages[name].html))
        for name in ("quake_ja_newsroom", "chip_ko_newsroom", "ev_zh_divsoup")
    }

    report = await _process(db, _settings())

    assert report.extracted == 3
    for name, story_id in ids.items():
        story = _story(db, story_id)
        assert story.status == "extracted", (name, story.extract_error)
        assert story.text.startswith(pages[name].first_paragraph)
        assert story.language == pages[name].language
        assert story.summary


async def test_a_page_that_hangs_its_worker_falls_back_and_the_rest_go_on(
    db: Database, web: LocalWeb
) -> None:
    page = seed_page()
    slow = _add_story(db, web.add("/slow-to-parse", page.html))
    crash = _add_story(db, web.add("/crash-the-worker", page.html))
    others = [_add_story(db, web.add(f"/fine-{i}", page.html)) for i in range(3)]

    report = await _process(
        db, _settings(extract_timeout=3.0, extract_workers=2), reader=read_page_slowly
    )

    assert report.extracted == 3 and report.fell_back == 2
    assert _story(db, slow).extract_error == "extraction timed out after 3s"
    assert _story(db, crash).extract_error == "extraction crashed the worker process"
    for story_id in (slow, crash):
        assert _story(db, story_id).text == FEED_TEXT
    for story_id in others:
        assert _story(db, story_id).status == "extracted"


async def test_each_story_is_processed_once(db: Database, web: LocalWeb) -> None:
    url = web.add("/once", seed_page().html)
    _add_story(db, url)
    settings = _settings(extract_workers=1)

    first = await _process(db, settings)
    second = await _process(db, settings)

    assert first.extracted == 1
    assert (second.extracted, second.fell_back) == (0, 0)
    assert len(web.hits_for("/once")) == 1
