"""``ltc-assess sync --server URL --as USER``: push this database's changes to the office server, pull what
concerns the user (records, returns, comments, visit tasks)."""

from __future__ import annotations

import argparse
import sys

from ltc_assess.cli.common import add_db_option, open_service, user_password
from ltc_assess.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sync", help=_("与办公室服务器同步（规则同交换包；可续传）"))
    p.add_argument(
        "--server", metavar="URL", help=_("如 https://office.example:8443（默认：管理员在应用中设置的地址）")
    )
    p.add_argument("--as", dest="user", required=True, metavar="USER")
    p.add_argument("--chunk-bytes", type=int, default=1024 * 1024, help=argparse.SUPPRESS)  # tests: many requests
    p.add_argument("--push-wait", type=float, default=None, help=argparse.SUPPRESS)  # tests: a short wait
    add_db_option(p)
    p.set_defaults(func=_sync)


def _sync(args: argparse.Namespace) -> int:
    from ltc_assess.bundles import BundleRefused
    from ltc_assess.errors import AppError, ErrorCode
    from ltc_assess.sync_client import server_url, sync

    with open_service(args) as service:
        secret = user_password(args.user)
        actor = service.login(args.user, secret)  # also unlocks the database, where the admin's setting is kept
        args.server = args.server or server_url(service)
        if args.server is None:
            raise AppError(ErrorCode.INVALID, _("未指定 --server，本机也未设置办公室服务器"))
        try:
            wait = {} if args.push_wait is None else {"wait": args.push_wait}
            report = sync(service, actor, secret, args.server, chunk=args.chunk_bytes, **wait)
        except BundleRefused as refused:  # records pulled from the server that this database refuses
            for line in refused.refusals:
                print(f"ltc-assess: refused: {line}", file=sys.stderr)
            raise
    for line in report.refused:
        print("ltc-assess: " + _("被服务器拒绝：{line}").format(line=line), file=sys.stderr)
    if report.queued:  # acknowledged, not verified within the wait: the bundles stay in the outbox
        print(_("服务器已收到 {count} 个数据包，尚在核验；结果将在下次同步时报告").format(count=len(report.queued)))
    added = sum(len(p.get("added", [])) + len(p.get("updated", [])) for p in report.pushed)
    print(
        _(
            "已与 {server} 同步：推送 {pushed} 个数据包（写入 {records} 条记录），"
            "拉取 {pulled}，冲突 {conflicts}，任务 {tasks}"
        ).format(
            server=args.server,
            pushed=len(report.pushed),
            records=added,
            pulled=report.pulled,
            conflicts=len(report.conflicts),
            tasks=report.tasks,
        )
    )
    return 1 if report.refused else 0
