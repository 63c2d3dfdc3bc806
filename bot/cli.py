"""The `newsdigest` command line: every sub-command, each with `--help`.

Each stage registers its own sub-commands (a `register(subparsers)` function in its
`cli` module); handlers import heavy modules lazily so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from digests.errors import UserError

# Modules that each define `register(subparsers)`.
COMMAND_MODULES = (
    "bot.run_command",
    "digests.feeds.cli",
    "digests.extract.cli",
    "digests.summarize.cli",
    "digests.compose.cli",
)


# Sub-command handlers raise this (or digests' UserError) for a one-line error, exit 1.
CommandError = UserError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line naming the problem, not a usage dump.
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered sub-command."""
    parser = _Parser(
        prog="newsdigest",
        description="Telegram news digests: poll feeds, extract, summarize, match topics.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue  # a stage not built yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"newsdigest {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
