"""``ltc-assess bundle export --out FILE --as USER [--all]`` / ``bundle import FILE --as USER``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle
from ltc_assess.cli import EXIT_BAD_INPUT
from ltc_assess.cli.common import add_db_option, login, open_as, open_service, user_password
from ltc_assess.errors import LtcError
from ltc_assess.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bundle", help=_("在笔记本电脑与办公室之间传递工作（签名的交换包文件）"))
    bsub = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True, parser_class=type(p))
    ep = bsub.add_parser("export", help=_("写出自上次交换包以来所有新增或变更内容的交换包"))
    ep.add_argument("--out", type=Path, required=True, help=_("交换包文件（单个文件，按机构加密）"))
    ep.add_argument("--all", action="store_true", help=_("全部评估，而不仅是变更"))
    ep.add_argument("--as", dest="user", required=True, metavar="USER", help=_("交换包的签署人"))
    add_db_option(ep)
    ep.set_defaults(func=_export)
    ip = bsub.add_parser("import", help=_("验证并应用交换包（幂等；冲突会被记录）"))
    ip.add_argument("file", type=Path)
    ip.add_argument("--as", dest="user", required=True, metavar="USER")
    add_db_option(ip)
    ip.set_defaults(func=_import)


def _export(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        actor = login(service, args.user)
        manifest = export_bundle(service, actor, user_password(args.user), args.out, args.all)
    print(_("数据包已写入：{path}（{count} 份评估）").format(path=args.out, count=manifest["counts"]["assessments"]))
    return 0


def _import(args: argparse.Namespace) -> int:
    try:
        with open_as(args) as (service, actor):
            summary = import_bundle(service, actor, args.file)
            conflicts = service.queries.open_conflicts()
    except BundleRefused as refused:
        print(f"ltc-assess: error: {LtcError.__str__(refused)}", file=sys.stderr)
        for line in refused.refusals:
            print(f"ltc-assess: refused: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if summary.already_imported:
        print(_("{file}：已导入过，未作任何更改").format(file=args.file))
        return 0
    print(
        _("{file}：新增 {added}，更新 {updated}，未变 {unchanged}，保留本地 {kept}，冲突 {conflicts}").format(
            file=args.file,
            added=len(summary.added),
            updated=len(summary.updated),
            unchanged=len(summary.unchanged),
            kept=len(summary.kept_ours),
            conflicts=len(summary.conflicts),
        )
    )
    for c in conflicts:
        print(
            "  "
            + _("冲突：评估 {uid}（数据包 {bundle}，{at}）").format(
                uid=c["assessment_uid"], bundle=c["bundle_id"][:8], at=c["detected_at"]
            )
        )
    return 0
