"""Figure 2 — extraction: stories per second through the pipeline's extraction and summary
stage (`process_new_stories`: fetch from 127.0.0.1, read in the process pool, summarize, store)
against plain newspaper4k `parse()` of the same pages in one process, with peak memory."""

from __future__ import annotations

import asyncio
import time
import warnings

from sqlalchemy import insert

from benchmarks.corpus import body_for, build_pages, page_for_path
from benchmarks.localweb import LocalCorpusServer
from benchmarks.report import BenchResult, Figure, MemorySampler, say
from benchmarks.workspace import workspace

TITLE = "2. Extraction"
SEED = 4242
SIZES = {
    "full": {"pages": 400, "page_kb": (50, 500)},
    "quick": {"pages": 60, "page_kb": (50, 500)},
}


def story_paths(count: int) -> list[str]:
    return [f"/a/story-{n}" for n in range(count)]


def newspaper_baseline(pages: list[tuple[str, bytes]]) -> float:
    """Seconds for newspaper4k alone (no image fetching: there is no network) on every page."""
    from newspaper import Article

    start = time.perf_counter()
    for url, body in pages:
        article = Article(url, fetch_images=False)
        article.download(input_html=body.decode("utf-8"))
        article.parse()
    return time.perf_counter() - start


def add_new_stories(db, base_url: str, paths: list[str]) -> None:
    from digests.storage.models import Story, utcnow

    now = utcnow()
    rows = [
        {
            "url": base_url + path,
            "canonical_url": base_url + path,
            "guid": path,
            "title": "",
            "feed_summary": "A feed description of the story, kept if the page cannot be read.",
            "first_seen_at": now,
            "status": "new",
        }
        for path in paths
    ]
    with db.session() as session:
        session.execute(insert(Story), rows)


async def _process(db, settings):
    from digests.extract.processor import process_new_stories
    from digests.fetcher import Fetcher

    async with Fetcher(settings) as fetcher:
        start = time.perf_counter()
        report = await process_new_stories(db, fetcher, settings)
        return time.perf_counter() - start, report


def run(quick: bool) -> BenchResult:
    warnings.filterwarnings("ignore")
    size = SIZES["quick" if quick else "full"]
    result = BenchResult("extraction", TITLE, params={**size, "seed": SEED})
    say(f"extraction: generating {size['pages']} pages")
    files = build_pages(pages=size["pages"], page_kb=size["page_kb"], seed=SEED)
    raw = [p.read_bytes() for p in files]
    paths = story_paths(size["pages"])
    with LocalCorpusServer([], files) as web, workspace("extraction") as space:
        # The exact page each story URL gets from the server, for the baseline.
        pages = [
            (web.base_url + path, body_for(raw[page_for_path(path, len(raw))], web.base_url))
            for path in paths
        ]
        result.params["html_mb_total"] = round(sum(len(b) for _, b in pages) / 1e6, 1)
        settings = space.settings()
        result.params["extract_workers"] = settings.extract_workers or "0 (one per CPU)"
        say("extraction: baseline (newspaper4k parse, one process)")
        with MemorySampler() as base_memory:
            base_memory.exclude.add(web.pid)
            baseline = newspaper_baseline(pages)
        add_new_stories(space.db, web.base_url, paths)
        say("extraction: process_new_stories")
        with MemorySampler() as memory:
            memory.exclude.add(web.pid)
            seconds, report = asyncio.run(_process(space.db, settings))
    count = len(pages)
    rate, base_rate = count / seconds, count / baseline
    result.add(
        Figure(
            "extraction + summary",
            rate,
            "stories/s",
            baseline=base_rate,
            baseline_label="newspaper4k parse() alone",
            ratio=rate / base_rate,
            target=">= 1.8x",
            met=rate / base_rate >= 1.8,
            note=(
                f"{count} pages in {seconds:.1f} s (baseline {baseline:.1f} s); "
                f"extracted={report.extracted} fell_back={report.fell_back}"
            ),
        )
    )
    result.add(
        Figure(
            "peak memory, process + pool workers",
            memory.peak_tree_mb,
            "MB",
            baseline=base_memory.peak_self_mb,
            baseline_label="baseline process",
            ratio=memory.peak_tree_mb / base_memory.peak_self_mb,
            note=f"the pipeline's own process peaked at {memory.peak_self_mb:.0f} MB",
        )
    )
    result.details.update(errors=report.errors[:5])
    return result
