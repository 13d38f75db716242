"""``ltc-assess demo [--db PATH]``: create a demo database to try everything on."""

from __future__ import annotations

import argparse

from ltc_assess.cli.common import add_db_option, db_path
from ltc_assess.demo import DEMO_ROOT_PASSPHRASE, DEMO_USERS, create_demo
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help=_("创建演示数据库（虚构人员、演示账户）"))
    add_db_option(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    path = db_path(args)
    if path.exists() and path.stat().st_size > 0:
        raise AppError(ErrorCode.CONFLICT, _("{path} 已存在；请为演示另选 --db").format(path=path))
    summary = create_demo(str(path))
    print(_("演示数据库：{path}").format(path=path))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.assessments.items()))
    print(_("受评人：{subjects}；评估：{assessments}").format(subjects=summary.subjects, assessments=counts))
    accounts = ", ".join(f"{user[0]} / {user[3]}" for user in DEMO_USERS)
    print(_("账户（用户名 / 密码）：{accounts}").format(accounts=accounts))
    print(_("签名根证书口令：{passphrase}").format(passphrase=DEMO_ROOT_PASSPHRASE))
    return 0
