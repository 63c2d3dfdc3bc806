"""`newsdigest extract URL | --html FILE [--url URL] [--json]` and
`newsdigest stories list [--since 24h|7d|all] [--feed ID] [--json]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from digests.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `extract` and `stories` sub-commands."""
    extract = subparsers.add_parser(
        "extract",
        help="extract and summarize one article page",
        description=(
            "Extract one page's article (title, text, authors, date, top image, language) "
            "and summarize it. `--html FILE` reads a saved page and never uses the network."
        ),
    )
    extract.add_argument("url", nargs="?", metavar="URL", help="page to fetch")
    extract.add_argument("--html", metavar="FILE", help="read this saved HTML file ('-': stdin)")
    extract.add_argument("--url", dest="page_url", metavar="URL", help="the saved page's address")
    extract.add_argument("--sentences", type=int, default=None, help="summary sentences")
    extract.add_argument("--json", action="store_true", help="print JSON")
    extract.set_defaults(handler=extract_command)

    stories = subparsers.add_parser(
        "stories", help="list stored stories", description="Stored stories."
    )
    actions = stories.add_subparsers(dest="stories_command", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser(
        "list",
        help="list stories first seen recently",
        description="List stories with their status, text size and summary.",
    )
    listing.add_argument("--since", default="24h", help="24h, 7d, 90m … or 'all' (default: 24h)")
    listing.add_argument("--feed", type=int, metavar="ID", help="only this feed's stories")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=stories_list_command)


def _read_html(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


async def _fetch_page(url: str) -> tuple[bytes, str, str | None]:
    from digests.extract.reading import content_type_charset, not_html_reason
    from digests.fetcher import Fetcher

    async with Fetcher() as fetcher:
        result = await fetcher.fetch(url)
    if not result.ok:
        raise UserError(f"cannot read {url}: {result.error or f'HTTP {result.status}'}")
    content_type = result.headers.get("content-type", "")
    reason = not_html_reason(content_type, result.body)
    if reason:
        raise UserError(f"cannot read {url}: {reason}")
    return result.body, result.final_url or url, content_type_charset(content_type)


def extract_command(args: argparse.Namespace) -> int:
    """Print one page's article and summary."""
    import asyncio

    from digests.config import get_settings
    from digests.extract.extractor import extract_article
    from digests.summarize.summarizer import summarize

    if args.html and args.url:
        raise UserError("give either a URL or --html FILE, not both")
    if args.html:
        body, url, encoding = _read_html(args.html), args.page_url or "", None
    elif args.url:
        body, url, encoding = asyncio.run(_fetch_page(args.url))
    else:
        raise UserError("give a URL or --html FILE")
    sentences = args.sentences if args.sentences is not None else get_settings().summary_sentences
    article = extract_article(body, url, encoding=encoding)
    summary = summarize(
        article.text, title=article.title, sentences=sentences, language=article.language
    )
    if args.json:
        payload = {
            "title": article.title,
            "text": article.text,
            "summary": summary,
            "authors": article.authors,
            "published": article.published.isoformat() if article.published else None,
            "top_image": article.top_image,
            "language": article.language,
            "extractor": article.extractor,
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    print(article.title)
    details = [
        ", ".join(article.authors),
        article.published.isoformat() if article.published else "",
        article.language,
        f"{len(article.text)} chars via {article.extractor or 'nothing'}",
    ]
    print(" · ".join(d for d in details if d))
    print()
    for sentence in summary:
        print(f"• {sentence}")
    print()
    print(article.text)
    return 0


def _story_json(story: Any) -> dict[str, Any]:
    return {
        "id": story.id,
        "url": story.url,
        "title": story.title,
        "feed": story.feed.title or story.feed.url if story.feed else None,
        "published": story.published_at.isoformat() if story.published_at else None,
        "text_chars": len(story.text or ""),
        "summary": list(story.summary or []),
        "status": story.status,
    }


def stories_list_command(args: argparse.Namespace) -> int:
    """Print the stories first seen within --since."""
    from sqlalchemy import select
    from sqlalchemy.exc import ArgumentError, OperationalError
    from sqlalchemy.orm import selectinload

    from digests.config import get_settings, parse_lookback
    from digests.storage import open_database
    from digests.storage.models import Story, utcnow

    lookback = parse_lookback(args.since)
    since = None if lookback is None else utcnow() - lookback
    settings = get_settings()
    try:
        db = open_database(settings.database_url)
    except (ArgumentError, OperationalError) as exc:
        raise UserError(f"DATABASE_URL {settings.database_url!r}: {exc}") from None
    try:
        with db.session() as session:
            query = select(Story).options(selectinload(Story.feed)).order_by(Story.id)
            if since is not None:
                query = query.where(Story.first_seen_at >= since)
            if args.feed is not None:
                query = query.where(Story.feed_id == args.feed)
            rows = [_story_json(story) for story in session.scalars(query)]
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no stories")
        return 0
    for row in rows:
        print(f"#{row['id']} [{row['status']}] {row['title']}")
        print(f"    {row['url']} · {row['feed'] or '-'} · {row['text_chars']} chars")
        for sentence in row["summary"]:
            print(f"    • {sentence}")
    return 0
