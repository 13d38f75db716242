"""``ltc-assess publicity --from D --to D --out F.pdf|F.xlsx --as USER``: publish the 公示 list."""

from __future__ import annotations

import argparse
from pathlib import Path

from ltc_assess.cli.after_decision import acting, lifecycle
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = acting(sub.add_parser("publicity", help=_("发布结论的公示名单（姓名和身份证号已遮蔽）")))
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD", help=_("结论认定日期起"))
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD", help=_("结论认定日期止"))
    p.add_argument("--out", type=Path, required=True, help=_("F.pdf 或 F.xlsx"))
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    fmt = args.out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "xlsx"):
        raise AppError(ErrorCode.INVALID, _("公示名单须导出为 .pdf 或 .xlsx"), where=str(args.out))
    with lifecycle(args) as (lc, actor):
        (data, count), _changes = lc.publicity_file(actor, args.date_from, args.date_to, fmt)
    args.out.write_bytes(data)
    print(_("公示名单已写入：{path}（{count} 份结论）").format(path=args.out, count=count))
    return 0
