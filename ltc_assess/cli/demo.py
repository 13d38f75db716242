"""``ltc-assess demo [--db PATH]``: create a demo database to try everything on."""

from __future__ import annotations

import argparse

from ltc_assess.cli.common import add_db_option, db_path
from ltc_assess.demo import DEMO_ROOT_PASSPHRASE, DEMO_USERS, create_demo
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="create a demo database (fictitious people, demo accounts)")
    add_db_option(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    path = db_path(args)
    if path.exists() and path.stat().st_size > 0:
        raise AppError(ErrorCode.CONFLICT, _("{path} 已存在；请为演示另选 --db").format(path=path))
    summary = create_demo(str(path))
    print(f"demo database: {path}")
    print(
        f"subjects: {summary.subjects}; assessments: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary.assessments.items()))
    )
    print("accounts (username / password): " + ", ".join(f"{u} / {pw}" for u, _, _, pw in DEMO_USERS))
    print(f"signing root passphrase: {DEMO_ROOT_PASSPHRASE}")
    return 0
