"""``ltc-assess db check | backup | audit-csv``: integrity, backups, the audit trail for auditors."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ltc_assess.cli.common import add_db_option, db_path, open_service


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("db", help="database integrity check, backup, audit export")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True, parser_class=type(p))
    cp = dsub.add_parser("check", help="PRAGMA integrity_check + audit hash-chain verification")
    add_db_option(cp)
    cp.set_defaults(func=_check)
    bp = dsub.add_parser("backup", help="online backup to a file")
    bp.add_argument("--out", type=Path, help="backup file (default: next to the database, timestamped)")
    add_db_option(bp)
    bp.set_defaults(func=_backup)
    ap = dsub.add_parser("audit-csv", help="write the audit log as CSV")
    ap.add_argument("--out", type=Path, required=True)
    add_db_option(ap)
    ap.set_defaults(func=_audit_csv)


def _check(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        problems = service.check()
    finally:
        service.close()
    for problem in problems:
        print(f"ltc-assess: error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok  {db_path(args)}: integrity ok, audit chain intact")
    return 0


def _backup(args: argparse.Namespace) -> int:
    path = db_path(args)
    out = args.out or path.with_name(f"{path.stem}-backup-{dt.datetime.now():%Y%m%d-%H%M%S}.db")
    service = open_service(args)
    try:
        service.backup(out)
    finally:
        service.close()
    print(f"backup written: {out}")
    return 0


def _audit_csv(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        args.out.write_text(service.audit_csv(), encoding="utf-8")
    finally:
        service.close()
    print(f"audit log written: {args.out}")
    return 0
