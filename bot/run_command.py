"""`newsdigest run`: the bot and the scheduler in one event loop."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the Telegram bot and the feed scheduler (needs TELEGRAM_BOT_TOKEN)",
        description="Run the Telegram bot and the feed scheduler in one process.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from digests.config import get_settings

    settings = get_settings()
    if not settings.telegram_bot_token.strip():
        print(
            "newsdigest run: TELEGRAM_BOT_TOKEN is missing: get a token from @BotFather and "
            "put TELEGRAM_BOT_TOKEN=123456:ABC... in .env (see .env.example) or the environment.",
            file=sys.stderr,
        )
        return 2
    from bot.app import run_bot

    return run_bot(settings)
