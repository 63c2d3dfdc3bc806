"""`newsdigest feeds …` and `newsdigest poll --once`: output, exit codes, one-line errors,
and nothing stored changed by bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from digests.feeds.opml import OpmlFeed, read_opml, render_opml
from digests.storage import open_database
from tests.feeds.sample_feeds import Item, rss
from tests.support.web import LocalWeb


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def feed_rows(db_url: str) -> list[tuple]:
    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            return list(conn.exec_driver_sql("SELECT id, url, title FROM feeds ORDER BY id"))
    finally:
        db.dispose()


@pytest.fixture
def opml_file(tmp_path: Path) -> Path:
    path = tmp_path / "mine.opml"
    path.write_bytes(
        render_opml(
            [
                OpmlFeed("https://a.example/rss", "Alpha", "https://a.example/"),
                OpmlFeed("https://b.example/atom", "Beta"),
            ]
        )
    )
    return path


def test_import_list_export_remove(
    capsys: pytest.CaptureFixture[str], opml_file: Path, tmp_path: Path
) -> None:
    assert run(capsys, "feeds", "import", str(opml_file)) == (
        0,
        f"imported 2 feeds from {opml_file} (0 already in the list)\n",
        "",
    )
    code, out, _ = run(capsys, "feeds", "import", str(opml_file))
    assert code == 0 and "imported 0 feeds" in out and "(2 already in the list)" in out

    code, out, _ = run(capsys, "feeds", "list", "--json")
    listed = json.loads(out)
    assert code == 0
    assert [(f["id"], f["url"], f["title"]) for f in listed] == [
        (1, "https://a.example/rss", "Alpha"),
        (2, "https://b.example/atom", "Beta"),
    ]
    assert listed[0]["consecutive_failures"] == 0 and listed[0]["last_error"] is None

    code, out, _ = run(capsys, "feeds", "list")
    assert code == 0 and "#1" in out and "https://b.example/atom" in out
    assert out.rstrip().endswith("2 feeds")

    exported = tmp_path / "out.opml"
    assert run(capsys, "feeds", "export", str(exported))[:2] == (
        0,
        f"exported 2 feeds to {exported}\n",
    )
    assert read_opml(exported) == read_opml(opml_file)
    code, out, _ = run(capsys, "feeds", "export")
    assert code == 0 and out.startswith("<?xml") and 'xmlUrl="https://a.example/rss"' in out

    code, out, _ = run(capsys, "feeds", "remove", "1")
    assert (code, out) == (0, "removed feed #1: Alpha <https://a.example/rss>\n")
    code, out, _ = run(capsys, "feeds", "remove", "https://b.example/atom")
    assert code == 0 and "removed feed #2" in out


def test_bad_input_is_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], opml_file: Path, tmp_path: Path, db_url: str
) -> None:
    run(capsys, "feeds", "import", str(opml_file))
    before = feed_rows(db_url)
    broken = tmp_path / "broken.opml"
    broken.write_text('<opml version="2.0"><body><outline xmlUrl="https://c.example/rss">')
    bad_commands = {
        ("feeds", "import", str(broken)): f"newsdigest feeds: {broken}: not valid OPML",
        ("feeds", "import", str(tmp_path / "absent.opml")): "absent.opml: cannot read it",
        ("feeds", "remove", "42"): "newsdigest feeds: no feed with id 42",
        ("feeds", "remove", "https://zzz.example/rss"): "https://zzz.example/rss: no such feed",
        ("feeds", "add", "not a url at all"): "'not a url at all' is not a web address",
        ("feeds", "export", str(tmp_path / "no-such-dir" / "x.opml")): "cannot write it",
    }
    for argv, message in bad_commands.items():
        code, out, err = run(capsys, *argv)
        assert code == 1, argv
        assert message in err and err.count("\n") == 1, (argv, err)
        assert out == ""
    assert feed_rows(db_url) == before


def test_unknown_arguments_exit_non_zero_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["feeds", "frobnicate"], ["poll", "--twice"], ["feeds"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        err = capsys.readouterr().err
        assert exited.value.code == 2 and err.count("\n") == 1 and "error:" in err


def test_add_discovers_the_feed_of_a_site(
    capsys: pytest.CaptureFixture[str], web: LocalWeb
) -> None:
    web.add(
        "/",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>'
        "<body>Home</body></html>",
    )
    feed_url = web.add("/rss.xml", rss([], title="Site News"))
    code, out, err = run(capsys, "feeds", "add", web.base_url)
    assert (code, out, err) == (0, f"added feed #1: Site News <{feed_url}>\n", "")


def test_list_gives_a_new_database_the_default_feeds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "feeds", "list", "--json")
    urls = [feed["url"] for feed in json.loads(out)]
    assert code == 0
    assert "https://feeds.bbci.co.uk/news/world/rss.xml" in urls and len(urls) >= 14


def test_poll_once_prints_the_summary_line(web: LocalWeb, tmp_path: Path, db_url: str) -> None:
    page = (
        "<html><head><title>{0}</title></head>"
        "<body><article><h1>{0}</h1><p>{1}</p></article></body></html>"
    )
    for name in ("one", "two"):
        web.add(f"/story/{name}", page.format(f"Story {name}", "Words of the story. " * 40))
    good = web.add(
        "/good.xml",
        rss([Item("Story one", web.url("/story/one")), Item("Story two", web.url("/story/two"))]),
    )
    feeds_file = tmp_path / "local.opml"
    feeds_file.write_bytes(
        render_opml([OpmlFeed(good, "Good"), OpmlFeed(web.url("/gone"), "Gone")])
    )
    env = {**os.environ, "DATABASE_URL": db_url, "FEEDS_FILE": str(feeds_file)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "poll", "--once"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"feeds polled 2 / not modified 0 / failed 1, new stories 2, "
        r"extracted \d+ / fell back \d+",
        summary,
    ), summary
    # The failing feed is named in the log with its problem.
    assert f"{web.url('/gone')} failed: HTTP 404" in result.stderr


def test_poll_without_once_keeps_polling_until_ctrl_c(
    web: LocalWeb, tmp_path: Path, db_url: str
) -> None:
    import signal

    feed = web.add("/loop.xml", rss([Item("Looped", web.url("/story/looped"))]))
    feeds_file = tmp_path / "loop.opml"
    feeds_file.write_bytes(render_opml([OpmlFeed(feed, "Loop")]))
    env = {**os.environ, "DATABASE_URL": db_url, "FEEDS_FILE": str(feeds_file)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "poll"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("feeds polled 1 / not modified 0 / failed 0, new stories 1")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert err.rstrip().endswith("stopped")
