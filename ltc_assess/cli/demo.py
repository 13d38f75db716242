"""``ltc-assess demo [--db PATH]``: create a demo database to try everything on."""

from __future__ import annotations

import argparse
import datetime as dt

from ltc_assess.cli.common import add_db_option, db_path
from ltc_assess.demo import DEMO_ROOT_PASSPHRASE, DEMO_USERS, build_demo
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.service import AssessmentService


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="create a demo database (fictitious people, demo accounts)")
    add_db_option(p)
    p.set_defaults(func=_run)


def create_demo(path: str) -> None:
    """Create the demo database at ``path``; refuses to touch an existing file."""
    service = AssessmentService(path)
    try:
        if service.has_users():
            raise AppError(ErrorCode.CONFLICT, f"{path} already holds data; choose another --db for the demo")
        summary = build_demo(service, dt.date.today())
    finally:
        service.close()
    print(f"demo database: {path}")
    print(f"subjects: {summary.subjects}; assessments: "
          + ", ".join(f"{k} {v}" for k, v in sorted(summary.assessments.items())))
    print("accounts (username / password): " + ", ".join(f"{u} / {pw}" for u, _, _, pw in DEMO_USERS))
    print(f"signing root passphrase: {DEMO_ROOT_PASSPHRASE}")


def _run(args: argparse.Namespace) -> int:
    path = db_path(args)
    if path.exists() and path.stat().st_size > 0:
        raise AppError(ErrorCode.CONFLICT, f"{path} already exists; choose another --db for the demo")
    create_demo(str(path))
    return 0
