"""One pipeline run: poll, then the later stages, and the summary line."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from sqlalchemy import select

from digests.config import Settings
from digests.feeds.catalog import import_feeds
from digests.feeds.opml import OpmlFeed
from digests.feeds.poller import PollReport
from digests.pipeline import PipelineReport, _stage, run_pipeline_once
from digests.storage import Database
from digests.storage.models import Story
from tests.feeds.sample_feeds import Item, rss
from tests.support.web import LocalWeb


def test_summary_line() -> None:
    report = PipelineReport(
        poll=PollReport(polled=15, not_modified=9, failed=2, new_stories=31),
        extracted=27,
        fell_back=4,
    )
    assert report.summary_line() == (
        "feeds polled 15 / not modified 9 / failed 2, new stories 31, extracted 27 / fell back 4"
    )


async def test_stages_run_in_order_on_the_polled_stories(
    web: LocalWeb, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    class Processed:
        extracted, fell_back = 1, 1

    async def process_new_stories(db, fetcher, settings, *, limit=None, progress=None):
        with db.session() as session:
            titles = session.scalars(select(Story.title).where(Story.status == "new")).all()
        calls.append(f"extract {sorted(titles)}")
        return Processed()

    def cluster_new_stories(db, *, now=None):
        calls.append("cluster")
        return 2

    extract = types.ModuleType("digests.extract.processor")
    extract.process_new_stories = process_new_stories  # type: ignore[attr-defined]
    cluster = types.ModuleType("digests.cluster")
    cluster.cluster_new_stories = cluster_new_stories  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "digests.extract.processor", extract)
    monkeypatch.setitem(sys.modules, "digests.cluster", cluster)

    url = web.add("/f.xml", rss([Item("One", web.url("/1")), Item("Two", web.url("/2"))]))
    import_feeds(db, [OpmlFeed(url)])
    report = await run_pipeline_once(db, Settings(fetch_timeout=10))

    assert calls == ["extract ['One', 'Two']", "cluster"]
    assert report.summary_line() == (
        "feeds polled 1 / not modified 0 / failed 0, new stories 2, extracted 1 / fell back 1"
    )
    assert report.clustered == 2 and report.skipped_stages == []


def test_a_stage_not_written_yet_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    assert _stage("digests.stage_not_written_yet.processor", "run") is None
    assert "digests.stage_not_written_yet.processor is not available yet" in caplog.text


def test_a_stage_with_a_broken_import_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "stage_with_a_bug"
    package.mkdir()
    (package / "__init__.py").write_text("import no_such_dependency_for_this_test\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_for_this_test"):
        _stage("stage_with_a_bug", "run")
