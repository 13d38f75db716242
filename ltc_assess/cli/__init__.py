"""``ltc-assess`` command line: the headless face of every core feature.

Each subcommand lives in its own module under ``ltc_assess.cli`` and exposes
``register(subparsers)``. Errors the user can cause are ``LtcError``s: printed as one line on stderr,
exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from ltc_assess import __version__
from ltc_assess.errors import LtcError
from ltc_assess.i18n import _, cli_language, language, set_language

# Order is the order shown in --help.
COMMAND_MODULES = (
    "forms",
    "score",
    "demo",
    "assessments",
    "db",
    "users",
    "keys",
    "review",
    "report",
    "verify",
    "export",
    "bundle",
    "policies",
    "visit",
    "publicity",
    "objection",
    "conclusion",
    "due",
    "letter",
    "advice",
    "sync",
    "tasks",
    "server",
    "gui",
)

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (argparse's own convention) on usage errors."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser(commands: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The parser with ``commands`` (default: all); subcommand modules add themselves."""
    parser = _Parser(
        prog="ltc-assess",
        description=_("长期护理需求评估工作站。不带命令时打开桌面应用。"),
    )
    parser.add_argument("--version", action="version", version=f"ltc-assess {__version__}")
    parser.add_argument("--db", help=_("数据库文件（默认：$LTC_ASSESS_DB，否则为用户数据目录）"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in commands:
        importlib.import_module(f"ltc_assess.cli.{name}").register(sub)
    return parser


def _commands_needed(args: Sequence[str]) -> Sequence[str]:
    """Only the command asked for: its module alone is imported (the app starts without the whole core).

    Help, version and unknown commands get every command, so that help and errors list them all.
    """
    tokens = iter(args)
    for token in tokens:
        if token == "--db":
            next(tokens, None)
        elif token.startswith("--db="):
            continue
        elif token.startswith("-"):
            return COMMAND_MODULES
        else:
            return (token,) if token in COMMAND_MODULES else COMMAND_MODULES
    return ("gui",)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI in the language ``$LTC_LANG`` or the locale asks for; returns the process exit code.

    The language before is restored at the end (the CLI may run inside another program, e.g. a test)."""
    try:
        lang = cli_language(os.environ)
    except ValueError as exc:
        print(f"ltc-assess: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    before = language()
    set_language(lang)
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    finally:
        set_language(before)


def _run(args_list: list[str]) -> int:
    parser = build_parser(_commands_needed(args_list))
    args = parser.parse_args(args_list)
    if args.command is None:
        from ltc_assess.cli.gui import run_gui  # lazy: the core must not need Qt

        return run_gui(args)
    try:
        code: int = args.func(args)
        return code
    except LtcError as exc:
        one_line = " ".join(str(exc).split())  # a library's multi-line message still makes one line
        print(f"ltc-assess: error: {one_line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _closed_pipe()


def _closed_pipe() -> int:
    """The reader went away (``score --batch … | head``): stop quietly, as shell tools do (128 + SIGPIPE).
    Standard output is pointed at devnull so that Python's flush at exit does not complain."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141
