"""``ltc-assess db check | backup | audit-csv | encrypt | recovery-key``: integrity, backups, the audit trail for
auditors, encryption at rest. Every action needs a login (``--as USER``): the database is encrypted, and reads
are audited."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ltc_assess.cli.common import add_db_option, add_login_option, db_path, open_as, run_as
from ltc_assess.i18n import _

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService
    from ltc_assess.storage.records import User


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("db", help=_("数据库完整性检查、备份、审计导出"))
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True, parser_class=type(p))
    cp = dsub.add_parser("check", help=_("PRAGMA integrity_check 加审计哈希链验证"))
    add_login_option(cp)
    add_db_option(cp)
    cp.set_defaults(func=_check)
    bp = dsub.add_parser("backup", help=_("在线备份到文件，与数据库同样加密（管理员）"))
    bp.add_argument("--out", type=Path, help=_("备份文件（默认：数据库旁，带时间戳）"))
    add_login_option(bp)
    add_db_option(bp)
    bp.set_defaults(func=run_as(_backup))
    ap = dsub.add_parser("audit-csv", help=_("将审计日志写为 CSV（审核员、管理员）"))
    ap.add_argument("--out", type=Path, required=True)
    add_login_option(ap)
    add_db_option(ap)
    ap.set_defaults(func=run_as(_audit_csv))
    for name, help_text, func in (
        ("encrypt", _("就地加密未加密的（旧版）数据库，保留每一行（管理员）"), _encrypt),
        ("recovery-key", _("以十六进制输出原始数据库密钥，供机构托管（管理员）"), _recovery_key),
    ):
        ep = dsub.add_parser(name, help=help_text)
        add_login_option(ep)
        add_db_option(ep)
        ep.set_defaults(func=run_as(func))


def _check(args: argparse.Namespace) -> int:
    with open_as(args) as (service, _actor):
        problems = service.check()
    for problem in problems:
        print(f"ltc-assess: error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("ok  " + _("{path}：完整性正常，审计链完好").format(path=db_path(args)))
    return 0


def _backup(args: argparse.Namespace, service: AssessmentService, actor: User) -> str:
    from ltc_assess import access

    path = db_path(args)
    out = args.out or path.with_name(f"{path.stem}-backup-{dt.datetime.now():%Y%m%d-%H%M%S}.db")
    access.backup(service, actor, out)
    return _("备份已写入：{path}").format(path=out)


def _audit_csv(args: argparse.Namespace, service: AssessmentService, actor: User) -> str:
    from ltc_assess import access
    from ltc_assess.files import write_private

    write_private(args.out, access.audit_log(service, actor).encode("utf-8"))
    return _("审计日志已写入：{path}").format(path=args.out)


def _encrypt(args: argparse.Namespace, service: AssessmentService, actor: User) -> str:
    from ltc_assess import access

    with access.encrypt(service, actor) as encrypted:
        rows = encrypted.queries.count_assessments()
    return _("已加密：{path}（{count} 份评估）；每个用户的密码都能打开它").format(path=db_path(args), count=rows)


def _recovery_key(args: argparse.Namespace, service: AssessmentService, actor: User) -> str:
    from ltc_assess import access

    return access.recovery_key(service, actor)
