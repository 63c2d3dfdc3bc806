"""`newsdigest summarize --text-file F [--title T] [--sentences K] [--json]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from digests.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `summarize` sub-command."""
    command = subparsers.add_parser(
        "summarize",
        help="summarize a text file in a few sentences",
        description="An extractive summary of a plain-text article, offline.",
    )
    command.add_argument(
        "--text-file", required=True, metavar="FILE", help="the article text ('-': stdin)"
    )
    command.add_argument("--title", default="", help="the article's title (helps scoring)")
    command.add_argument(
        "--sentences", type=int, default=None, help="how many sentences (default SUMMARY_SENTENCES)"
    )
    command.add_argument("--language", default="", help="ISO 639-1 code; guessed when omitted")
    command.add_argument("--json", action="store_true", help='print {"summary": [...]}')
    command.set_defaults(handler=summarize_command)


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


def summarize_command(args: argparse.Namespace) -> int:
    """Print the summary of --text-file, one sentence a line (or JSON)."""
    from digests.config import get_settings
    from digests.extract.language import detect_language
    from digests.summarize.summarizer import summarize

    text = _read_text(args.text_file)
    sentences = args.sentences if args.sentences is not None else get_settings().summary_sentences
    if sentences < 1:
        raise UserError(f"--sentences {sentences}: give 1 or more")
    language = args.language or detect_language(text)
    summary = summarize(text, title=args.title, sentences=sentences, language=language)
    if args.json:
        print(json.dumps({"summary": summary}, ensure_ascii=False))
    else:
        for sentence in summary:
            print(sentence)
    return 0
