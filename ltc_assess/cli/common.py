"""Helpers shared by the CLI commands: where the database is, and who is acting."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ltc_assess.errors import AppError, ErrorCode, LtcError
from ltc_assess.i18n import _

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService
    from ltc_assess.storage.records import User

DB_ENV = "LTC_ASSESS_DB"
PASSWORD_ENV = "LTC_ASSESS_PASSWORD"


def db_path(args: argparse.Namespace) -> Path:
    """``--db PATH``, else ``$LTC_ASSESS_DB``, else the per-user data folder."""
    if getattr(args, "db", None):
        return Path(args.db)
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV])
    from platformdirs import user_data_dir  # imported when needed: every command's start-up pays for imports

    return Path(user_data_dir("ltc-assess", "ltc-assess")) / "ltc-assess.db"


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """Accept ``--db`` after the subcommand too (without overriding one given before it)."""
    parser.add_argument("--db", default=argparse.SUPPRESS, help=_("数据库文件（见 ltc-assess --help）"))


def open_service(args: argparse.Namespace, must_exist: bool = True) -> AssessmentService:
    path = db_path(args)
    if must_exist and not path.exists():
        raise AppError(
            ErrorCode.NOT_FOUND,
            _("找不到数据库 {path}（可用 ltc-assess demo --db {path} 创建）").format(path=path),
        )
    from ltc_assess.service import AssessmentService  # here: the gui command must not wait for the core

    return AssessmentService(path)


def password(prompt: str, env: str = PASSWORD_ENV) -> str:
    """From the environment (scripts, CI) or typed at a prompt without echo."""
    value = os.environ.get(env)
    if value is not None:
        return value
    import getpass

    try:
        return getpass.getpass(prompt)
    except (EOFError, OSError):
        raise AppError(ErrorCode.AUTH, _("未提供密码（请设置 {env} 或在终端中运行）").format(env=env)) from None


def user_password(username: str) -> str:
    """``username``'s password, from ``$LTC_ASSESS_PASSWORD`` or a prompt naming them."""
    return password(_("{username} 的密码：").format(username=username))


def login(service: AssessmentService, username: str) -> User:
    return service.login(username, user_password(username), source=_source())


def _source() -> str:
    """Where a login comes from, for per-source lockout: this terminal's OS account."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def add_login_option(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    """``--as USER``: commands that read personal data need a login (and so the key of an encrypted database).
    The default help is said here, not as the default value: that would be said once, at import, in that language."""
    said = help_text or _("读取者（需登录并记入审计）")
    parser.add_argument("--as", dest="user", required=True, metavar="USER", help=said)


@contextmanager
def open_as(args: argparse.Namespace, username: str | None = None) -> Iterator[tuple[AssessmentService, User]]:
    """The service, unlocked by the password of ``username`` (default: ``--as USER``), closed when done."""
    with open_service(args) as service:
        yield service, login(service, username or args.user)


Body = Callable[[argparse.Namespace, "AssessmentService", "User"], str]


def run_as(body: Body, who: str = "user") -> Callable[[argparse.Namespace], int]:
    """A command: log in as ``args.<who>``, run ``body``, close the database, print the line ``body`` returns."""

    def command(args: argparse.Namespace) -> int:
        with open_as(args, getattr(args, who)) as (service, actor):
            message = body(args, service, actor)
        print(message)
        return 0

    return command


@contextmanager
def untrusted_file(path: object) -> Iterator[None]:
    """Parsing a file someone else made: whatever the parsers (pyHanko, asn1crypto, zip, JSON) raise on malformed
    bytes becomes one line naming the file (exit 2), never a traceback. Our own errors pass through as they are."""
    try:
        yield
    except LtcError:
        raise
    except (MemoryError, RecursionError) as exc:
        detail = type(exc).__name__
        raise AppError(ErrorCode.INVALID, _("文件格式错误（{detail}）").format(detail=detail), str(path)) from None
    except Exception as exc:  # noqa: BLE001 - third-party parsers raise dozens of types on junk input
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise AppError(ErrorCode.INVALID, _("文件格式错误（{detail}）").format(detail=detail), str(path)) from None
