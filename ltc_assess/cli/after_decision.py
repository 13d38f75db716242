"""Shared by the after-the-decision commands (policies, visit, publicity, objection, due, letter):
open the service with its ``Lifecycle`` and close it again, whatever happens."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ltc_assess.cli.common import add_db_option, open_as
from ltc_assess.i18n import _

if TYPE_CHECKING:
    from ltc_assess.lifecycle import Lifecycle
    from ltc_assess.storage.records import User


@contextmanager
def lifecycle(args: argparse.Namespace) -> Iterator[tuple[Lifecycle, User]]:
    """The use cases, logged in as ``--as USER`` (every one of them reads or writes personal data, and the
    database is encrypted: the login unlocks it)."""
    from ltc_assess.lifecycle import Lifecycle  # here: only the command run pays for the core's imports

    with open_as(args, args.actor) as (service, actor):
        yield Lifecycle(service), actor


def acting(parser: argparse.ArgumentParser, who: str = "USER") -> argparse.ArgumentParser:
    """``--db`` and ``--as USER`` (password from $LTC_ASSESS_PASSWORD or a prompt)."""
    add_db_option(parser)
    parser.add_argument("--as", dest="actor", required=True, metavar=who, help=_("执行操作的用户名"))
    return parser


def show_action(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], help_text: str, func: Callable[[argparse.Namespace], int]
) -> None:
    """The ``show ASSESSMENT_ID --as USER`` action each after-the-decision command has."""
    sp = acting(sub.add_parser("show", help=help_text))
    sp.add_argument("assessment_id", type=int)
    sp.set_defaults(func=func)
