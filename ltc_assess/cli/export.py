"""``ltc-assess export …`` and ``ltc-assess verify-package DIR|ZIP --trust ROOT.pem``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from ltc_assess.cli.common import add_db_option, login, open_service, untrusted_file, user_password
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.exchange.insurer import check_insurer_package
from ltc_assess.i18n import _


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help=_("写出已批准评估的签名保险机构数据包"))
    p.add_argument("--from", dest="date_from", type=_date, required=True, metavar="DATE")
    p.add_argument("--to", dest="date_to", type=_date, required=True, metavar="DATE")
    p.add_argument("--insurer", help=_("接收方（记入清单和审计日志）"))
    p.add_argument("--out", type=Path, required=True, help=_("文件夹，或以 .zip 结尾的文件"))
    p.add_argument(
        "--encrypt-to",
        type=Path,
        metavar="CERT",
        help=_("按保险机构的 RSA 证书加密数据包（zip）：--out 写入 CMS EnvelopedData（.p7m）"),
    )
    p.add_argument("--as", dest="user", required=True, metavar="USER", help=_("导出用户（签署清单）"))
    p.add_argument(
        "--pg",
        metavar="URL",
        help=_("导出办公室服务器上已批准的记录（PostgreSQL 连接串）；--db 仍存放您的签名密钥"),
    )
    add_db_option(p)
    p.set_defaults(func=_export)
    v = sub.add_parser("verify-package", help=_("验证保险机构数据包（清单、哈希值、报告签名）"))
    v.add_argument("package", type=Path)
    v.add_argument("--trust", type=Path, required=True, action="append", help=_("机构的根证书"))
    v.set_defaults(func=_verify)


def _export(args: argparse.Namespace) -> int:
    import tempfile

    from ltc_assess.signing import envelope

    recipient = None
    if args.encrypt_to:
        try:
            recipient = envelope.recipient(args.encrypt_to.read_bytes(), str(args.encrypt_to))
        except OSError as exc:
            raise AppError(
                ErrorCode.INVALID, _("无法读取 {path}：{strerror}").format(path=args.encrypt_to, strerror=exc.strerror)
            ) from None
    with open_service(args) as service:
        actor = login(service, args.user)
        with tempfile.TemporaryDirectory(prefix="ltc-export-") as private:  # 0700: the clear zip never leaves it
            target = Path(private) / "package.zip" if recipient is not None else args.out
            secret = user_password(args.user)
            if args.pg:
                from ltc_assess.server.export import export_from_server
                from ltc_assess.storage.pg.repository import session

                with session(args.pg) as store:
                    period = (args.date_from, args.date_to)
                    manifest = export_from_server(service, actor, secret, store, target, period, args.insurer)
            else:
                manifest = service.export_package(actor, secret, target, args.date_from, args.date_to, args.insurer)
            if recipient is not None:
                from ltc_assess.files import write_private

                write_private(args.out, envelope.encrypt_to(recipient, target.read_bytes()))
    print(
        _("交换包已写入：{path}（{count} 份评估，{files} 个文件）").format(
            path=args.out, count=manifest["counts"]["assessments"], files=len(manifest["files"])
        )
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    roots = []
    for path in args.trust:
        try:
            roots.append(path.read_bytes())
        except OSError as exc:
            raise AppError(
                ErrorCode.INVALID, _("无法读取 {path}：{strerror}").format(path=path, strerror=exc.strerror)
            ) from None
    try:
        with untrusted_file(args.package):
            package = check_insurer_package(args.package, roots)
            entries = json.loads(package.files["assessments.json"])
            count = len(entries)
    except AppError as exc:
        if exc.code in (ErrorCode.INTEGRITY, ErrorCode.SIGNATURE):
            print(f"NOT VALID: {exc}")
            return 1
        raise
    print(
        _("{package}：由 {signer} 签名；{files} 个文件完好；{count} 份评估；每份报告的签名均有效").format(
            package=args.package, signer=package.signer, files=len(package.files), count=count
        )
    )
    print("VALID")
    return 0
