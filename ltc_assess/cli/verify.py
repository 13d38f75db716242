"""``ltc-assess verify FILE.pdf [--trust ROOT.pem] [--at DATE] [--crl CRL.pem]``: long-term validation, offline.

Every signature of the report and of the PDFs attached to it (the submitted report inside the approved one)
is validated as of DATE (default: now) with pyHanko's AdES-LTA validation, trusting only the given roots and
using the file's DSS plus the given CRLs (an insurer in 2033 passes the agency's CRL of that time).
Exit 0 only when every signature is VALID and nothing but validation data follows the last one; 1 when any
check fails; 2 when the input cannot be read.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from ltc_assess.cli.common import add_db_option, db_path, open_service, untrusted_file
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _


def _yes(flag: bool) -> str:
    return _("是") if flag else _("否")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify", help=_("校验报告 PDF 的签名（长期验证，可按某一日期）"))
    p.add_argument("file", type=Path)
    p.add_argument(
        "--trust",
        type=Path,
        action="append",
        help=_("信任的根证书（默认：本安装的根证书，如有）"),
    )
    p.add_argument("--at", metavar="DATE", help=_("按 DATE 时的状态校验（YYYY-MM-DD 或 ISO 时间，UTC；默认：现在）"))
    p.add_argument(
        "--crl",
        type=Path,
        action="append",
        help=_("DATE 时有效的机构 CRL（默认：本安装最新的 CRL，如有）"),
    )
    add_db_option(p)
    p.set_defaults(func=_run)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AppError(
            ErrorCode.INVALID, _("无法读取 {path}：{strerror}").format(path=path, strerror=exc.strerror)
        ) from None


def _moment(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise AppError(ErrorCode.INVALID, _("--at {text!r}：应为日期，例如 2033-01-01").format(text=text)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _installation(args: argparse.Namespace) -> tuple[list[bytes], list[bytes], str]:
    """This installation's root and latest CRL, for what the command line does not give."""
    if not db_path(args).exists():
        return [], [], "nothing (give --trust ROOT.pem)"
    try:
        with open_service(args) as service:
            if not service.signing_configured():
                return [], [], "nothing (give --trust ROOT.pem)"
            crl = service.pki.current_crl()
            return [service.root_certificate()], [crl] if crl else [], f"the root of {db_path(args)}"
    except AppError as exc:
        if exc.code != ErrorCode.AUTH:
            raise
        return [], [], f"nothing: {db_path(args)} is encrypted (give --trust ROOT.pem)"


def _run(args: argparse.Namespace) -> int:
    data = _read(args.file)
    if not data.startswith(b"%PDF"):
        raise AppError(ErrorCode.INVALID, _("{file} 不是 PDF 文件").format(file=args.file))
    at = _moment(args.at)
    from ltc_assess.signing.crl import load_crls
    from ltc_assess.signing.validation import validate_report

    crl_files = [(_read(p), str(p)) for p in args.crl or []]
    if args.trust:
        roots, trusted = [_read(p) for p in args.trust], ", ".join(str(p) for p in args.trust)
    else:
        roots, own_crls, trusted = _installation(args)
        crl_files = crl_files or [(c, _("本机的证书吊销列表")) for c in own_crls]
    crls = [c for blob, where in crl_files for c in load_crls(blob, where)]
    with untrusted_file(args.file):
        checks = validate_report(data, roots, crls, at)
    when = at.isoformat() if at else _("此刻")
    print(
        _("{file}：{count} 个签名，信任 {trusted}，截至 {when}").format(
            file=args.file, count=len(checks), trusted=trusted, when=when
        )
    )
    last: dict[str, bool] = {}
    for n, c in enumerate(checks, 1):
        where = c.file or args.file.name
        line = _(
            "{where} 第 {revision}/{revisions} 版，{field}：{signer}（{role}，{username}）"
            "于 {at} — 完好 {intact}，受信任 {trusted} — {verdict}"
        )
        revoked = _("（证书已吊销：{revoked}）").format(revoked=c.revoked) if c.revoked else ""
        print(
            f"  {n}. "
            + line.format(
                where=where,
                revision=c.revision,
                revisions=c.revisions,
                field=c.field,
                signer=c.signer,
                role=c.role,
                username=c.username,
                at=c.signed_at,
                intact=_yes(c.intact),
                trusted=_yes(c.trusted),
                verdict="VALID" if c.valid else c.ades,
            )
            + revoked
        )
        last[c.file] = c.closes_file
    problems = [
        _("{file}：最后一个签名之后有追加的字节").format(file=f or args.file.name) for f, ok in last.items() if not ok
    ]
    if not checks:
        problems.append(_("文档没有签名"))
    for problem in problems:
        print("  " + _("问题：{problem}").format(problem=problem))
    ok = bool(checks) and all(c.valid for c in checks) and not problems
    print("VALID" if ok else "NOT VALID")
    return 0 if ok else 1
