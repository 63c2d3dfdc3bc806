"""`newsdigest preview`: the digest a subscriber with some topics would get now."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from digests.errors import UserError

if TYPE_CHECKING:
    from digests.compose.model import DigestItem, DigestPlan

DEFAULT_SINCE = "24h"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `preview` sub-command."""
    preview = subparsers.add_parser(
        "preview",
        help="print the digest a subscriber with these topics would get now",
        description=(
            "Print the digest someone following the given topics would get now: stories "
            "first seen in the --since window that match, one item per story, grouped under "
            "the topics in the order given."
        ),
    )
    preview.add_argument(
        "--topic",
        dest="topics",
        action="append",
        required=True,
        metavar="QUERY",
        help='a topic as typed after /topic, e.g. "ukraine" or "ukraine -football" '
        "(repeat for several)",
    )
    preview.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        metavar="24h|7d|all",
        help=f"how far back to look (e.g. 90m, 24h, 7d, or all; default {DEFAULT_SINCE})",
    )
    preview.add_argument(
        "--max-items",
        type=int,
        default=None,
        metavar="N",
        help="at most N items (default MAX_ITEMS_PER_DIGEST; 0 = no cap)",
    )
    preview.add_argument("--json", action="store_true", help="print JSON for scripts")
    preview.set_defaults(handler=preview_command)


def preview_command(args: argparse.Namespace) -> int:
    from digests.compose.digest import preview_digest
    from digests.config import get_settings, parse_lookback
    from digests.storage import open_database
    from digests.storage.models import utcnow
    from digests.topics import QueryError, parse_query

    span = parse_lookback(args.since)
    for topic in args.topics:  # before opening the database: bad input touches nothing
        try:
            parse_query(topic)
        except QueryError as exc:
            raise UserError(str(exc)) from None
    if args.max_items is not None and args.max_items < 0:
        raise UserError(f"--max-items {args.max_items} must be 0 (no cap) or more")
    settings = get_settings()
    max_items = settings.max_items_per_digest if args.max_items is None else args.max_items
    now = utcnow()
    db = open_database(settings.database_url)
    try:
        with db.session() as session:
            plan = preview_digest(
                session,
                args.topics,
                now=now,
                since=None if span is None else now - span,
                max_items=max_items,
            )
    except QueryError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.dispose()
    if args.json:
        json.dump({"items": [item_json(item) for item in plan.items]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(plan, since_all=span is None))
    return 0


def item_json(item: DigestItem) -> dict:
    """One item in the `--json` shape."""
    return {
        "title": item.title,
        "url": item.url,
        "sources": list(item.sources),
        "published": item.published.isoformat() if item.published else None,
        "summary": list(item.summary),
        "topic": item.topic,
        "matched": list(item.matched),
    }


def render_text(plan: DigestPlan, *, since_all: bool = False) -> str:
    """The plan as readable terminal text."""
    window = "all stories" if since_all else f"since {_when(plan.since)}"
    if plan.is_empty:
        return f"No matching stories ({window}).\n"
    lines = [f"{len(plan.items)} stories ({window}, until {_when(plan.until)})", ""]
    number = 0
    for section in plan.sections:
        lines.append(f"== {section.topic} ({len(section.items)}) ==")
        lines.append("")
        for item in section.items:
            number += 1
            lines.append(f"{number}. {item.title}")
            published = f" · {_when(item.published)}" if item.published else ""
            lines.append(f"   {', '.join(item.sources)}{published}")
            lines.append(f"   {item.url}")
            lines.extend(f"   - {sentence}" for sentence in item.summary)
            if item.matched:
                lines.append(f"   matched: {', '.join(item.matched)}")
            lines.append("")
    return "\n".join(lines)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
