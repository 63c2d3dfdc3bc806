"""`newsdigest extract` and `newsdigest stories list`: JSON shapes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from digests.storage import Database
from digests.storage.models import Story
from tests.extract.corpus import seed_page
from tests.support.web import LocalWeb

EXTRACT_KEYS = {
    "title",
    "text",
    "summary",
    "authors",
    "published",
    "top_image",
    "language",
    "extractor",
}


def test_extract_html_file_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = seed_page()
    saved = tmp_path / "page.html"
    saved.write_text(page.html, encoding="utf-8")

    assert main(["extract", "--html", str(saved), "--url", page.url, "--json"]) == 0

    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == EXTRACT_KEYS
    assert payload["title"] == page.title
    assert payload["text"].startswith(page.first_paragraph)
    assert isinstance(payload["summary"], list) and 1 <= len(payload["summary"]) <= 3
    assert payload["published"].startswith("2026-01-07")
    assert payload["language"] == "en"
    assert payload["extractor"].startswith("newspaper4k")


def test_extract_url_fetches_the_page(web: LocalWeb, capsys: pytest.CaptureFixture[str]) -> None:
    url = web.add("/story", seed_page().html)
    assert main(["extract", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == seed_page().title


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["extract", "--html", "no-such-file.html"], "cannot read no-such-file.html"),
        (["extract"], "give a URL or --html FILE"),
        (["stories", "list", "--since", "yesterday"], "--since 'yesterday'"),
    ],
)
def test_bad_input_is_one_line_naming_it(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_unreadable_url_is_one_line_naming_it(
    web: LocalWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    url = web.add("/gone", "gone", status=404)
    assert main(["extract", url]) == 1
    err = capsys.readouterr().err
    assert f"cannot read {url}: HTTP 404" in err and err.count("\n") == 1


def test_stories_list_json(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    with db.session() as session:
        session.add(
            Story(
                url="https://example.com/a",
                canonical_url="https://example.com/a",
                title="A story",
                status="extracted",
                text="Body text.",
                summary=["Body text."],
            )
        )

    assert main(["stories", "list", "--since", "all", "--json"]) == 0

    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {
            "id": 1,
            "url": "https://example.com/a",
            "title": "A story",
            "feed": None,
            "published": None,
            "text_chars": 10,
            "summary": ["Body text."],
            "status": "extracted",
        }
    ]
    assert main(["stories", "list", "--feed", "7", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
