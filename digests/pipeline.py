"""One run of the news pipeline: poll feeds, process new stories, cluster them."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import func, select

from digests.config import Settings
from digests.feeds.poller import PollReport, count_due_feeds, poll_due_feeds
from digests.fetcher import Fetcher
from digests.storage import Database
from digests.storage.models import Story

log = logging.getLogger(__name__)


@dataclass
class PipelineReport:
    """What one pipeline run did, stage by stage."""

    poll: PollReport = field(default_factory=PollReport)
    extracted: int = 0
    fell_back: int = 0
    clustered: int = 0
    skipped_stages: list[str] = field(default_factory=list)  # stages not installed yet

    def summary_line(self) -> str:
        """One line for the end of a run."""
        poll = self.poll
        return (
            f"feeds polled {poll.polled} / not modified {poll.not_modified} / "
            f"failed {poll.failed}, new stories {poll.new_stories}, "
            f"extracted {self.extracted} / fell back {self.fell_back}"
        )


def _stage(module: str, name: str) -> Callable | None:
    """`module.name`, or None (with a warning) while that stage's module is not written yet.
    Any other import error is a real bug and propagates."""
    import importlib

    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        parts = module.split(".")
        missing = {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
        if exc.name not in missing:
            raise
        log.warning("pipeline: %s is not available yet; skipping that stage", module)
        return None
    return getattr(loaded, name)


@contextmanager
def _progress_bar(enabled: bool, total: int, description: str) -> Iterator[Callable | None]:
    if not enabled or total <= 0:
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=description, unit="", file=sys.stderr, leave=False) as bar:
        yield bar.update


def _count_new_stories(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).where(Story.status == "new")) or 0


async def run_pipeline_once(
    db: Database,
    settings: Settings,
    *,
    fetcher: Fetcher | None = None,
    force: bool = False,
    progress: bool = False,
) -> PipelineReport:
    """Poll the due feeds (all with `force`), then extract and summarize new stories,
    then cluster them. `progress` shows progress bars on stderr."""
    report = PipelineReport()
    own_fetcher = fetcher is None
    active = fetcher if fetcher is not None else Fetcher(settings)
    try:
        total = count_due_feeds(db, force=force) if progress else 0
        with _progress_bar(progress, total, "feeds") as tick:
            report.poll = await poll_due_feeds(db, active, force=force, progress=tick)

        process_new_stories = _stage("digests.extract.processor", "process_new_stories")
        if process_new_stories is None:
            report.skipped_stages.append("extract")
        else:
            total = _count_new_stories(db) if progress else 0
            with _progress_bar(progress, total, "stories") as tick:
                processed = await process_new_stories(db, active, settings, progress=tick)
            report.extracted = processed.extracted
            report.fell_back = processed.fell_back
    finally:
        if own_fetcher:
            await active.aclose()

    cluster_new_stories = _stage("digests.cluster", "cluster_new_stories")
    if cluster_new_stories is None:
        report.skipped_stages.append("cluster")
    else:
        # CPU and database work: off the event loop, which may be serving the bot.
        report.clustered = await asyncio.to_thread(cluster_new_stories, db)
    return report
