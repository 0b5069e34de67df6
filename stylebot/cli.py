"""`stylebot` command line: one sub-command module per feature in `stylebot/_cli/`.

Each module exposes `register(subparsers)` which adds its parser(s) and sets `func(args, settings) -> int`.
`main()` is the only place that reads settings and configures logging for CLI commands.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from foundation import StylebotError
from stylebot.logs import configure_logging, register_secret
from stylebot.settings import Settings

__all__ = ["build_parser", "main"]

logger = logging.getLogger(__name__)

# Sub-command modules under stylebot/_cli/, in the order `stylebot --help` lists them.
COMMAND_MODULES = ["stylize", "weights", "bot", "engine", "run", "demo", "db", "queue"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stylebot", description="Neural style transfer Discord bot, engine and queue tools.")
    parser.add_argument("--log-level", default=None, help="override STYLEBOT_LOG_LEVEL")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"stylebot._cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"stylebot._cli.{name}":
                raise
            continue  # a sub-command whose module has not landed yet; the others still work
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
        register_secret(settings.discord_token)
        configure_logging(args.log_level or settings.log_level, settings.log_format, role=args.command)
        return int(args.func(args, settings) or 0)
    except StylebotError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
