"""``ltc-assess keys init-root | init-transport | root | issue | crl | tsa-init | tsa-url | tsa-serve``: the
agency's signing root, bundle encryption, users' certificates, its revocation lists and its timestamp authority.

Secrets come from the environment (scripts) or a prompt: $LTC_ASSESS_PASSWORD (acting admin),
$LTC_ASSESS_ROOT_PASSPHRASE (the root key), $LTC_ASSESS_USER_PASSWORD (the user receiving a certificate),
$LTC_ASSESS_P12_PASSWORD (a PKCS#12 file).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ltc_assess.cli.common import Body, add_db_option, add_login_option, open_as, password, run_as, user_password
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.workflow import Role

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService
    from ltc_assess.storage.records import User

ROOT_ENV = "LTC_ASSESS_ROOT_PASSPHRASE"
USER_ENV = "LTC_ASSESS_USER_PASSWORD"
P12_ENV = "LTC_ASSESS_P12_PASSWORD"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("keys", help=_("签名根证书和用户证书"))
    ksub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True, parser_class=type(p))

    def action(
        name: str, help_text: str, body: Body, who: str = "admin", as_help: str | None = None
    ) -> argparse.ArgumentParser:
        """A subcommand run logged in as ``--as`` (the acting admin, unless ``who`` says otherwise)."""
        ap = ksub.add_parser(name, help=help_text)
        ap.add_argument("--as", dest=who, required=True, metavar=who.upper(), help=as_help)
        add_db_option(ap)
        ap.set_defaults(func=run_as(body, who))
        return ap

    ip = action("init-root", _("创建机构的签名根证书（管理员）"), _init_root)
    ip.add_argument("--agency", required=True, help=_("机构名称（写入每张证书）"))
    action(
        "init-transport",
        _("创建交换包加密所用的证书（管理员；新根证书由 init-root 一并创建）"),
        _init_transport,
    )
    rp = ksub.add_parser("root", help=_("为保险机构导出根证书"))
    rp.add_argument("--out", type=Path, required=True)
    add_login_option(rp, _("任一用户（数据库已加密）"))
    add_db_option(rp)
    rp.set_defaults(func=run_as(_root))
    sp = action("issue", _("为用户签发签名证书（管理员；由用户输入自己的密码）"), _issue)
    sp.add_argument("username")
    pp = action(
        "import-p12",
        _("使用您自己的密钥和正式 CA 签发的证书签名（PKCS#12）"),
        _import_p12,
        "user",
        _("证书所属用户"),
    )
    pp.add_argument("file", type=Path)
    cp = action("crl", _("发布机构的吊销列表，或在此处采用办公室的（管理员）"), _crl)
    where = cp.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help=_("签发新的 CRL（需根证书口令）并写入此处"))
    where.add_argument("--install", type=Path, metavar="CRL.pem", help=_("在本机保存办公室较新的 CRL"))
    action("tsa-init", _("为本安装建立自己的时间戳服务（管理员）"), _tsa_init)
    up = action("tsa-url", _("使用外部 RFC 3161 时间戳服务（'-'：本安装的）"), _tsa_url)
    up.add_argument("url")
    vp = ksub.add_parser("tsa-serve", help=_("通过 HTTP 提供本安装的时间戳服务（RFC 3161）"))
    vp.add_argument("--listen", default="127.0.0.1:3161", metavar="HOST:PORT", help=_("端口 0 表示自动选择空闲端口"))
    vp.add_argument("--as", dest="admin", required=True, metavar="ADMIN", help=_("TSA 密钥存放在数据库中"))
    add_db_option(vp)
    vp.set_defaults(func=_tsa_serve)


def _root_passphrase() -> str:
    return password(_("根证书口令："), ROOT_ENV)


def _init_root(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    cert, _changes = service.init_root(admin, args.agency, _root_passphrase())
    return cert.decode().strip()


def _init_transport(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    from ltc_assess.bundle_seal import init_transport

    init_transport(service, admin, _root_passphrase())
    return _("已创建传输证书：数据包今后加密给本机构")


def _root(args: argparse.Namespace, service: AssessmentService, _actor: User) -> str:
    _write(args.out, service.root_certificate())
    return _("根证书已写入：{path}").format(path=args.out)


def _issue(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    root_passphrase = _root_passphrase()
    secret = password(_("{username} 的密码：").format(username=args.username), USER_ENV)
    service.issue_certificate(admin, args.username, root_passphrase, secret)
    return _("已为 {username} 签发证书").format(username=args.username)


def _import_p12(args: argparse.Namespace, service: AssessmentService, actor: User) -> str:
    data = _read(args.file)
    p12_password = password(_("PKCS#12 密码："), P12_ENV)
    service.import_certificate(actor, data, p12_password, user_password(args.user))
    return _("来自 {file} 的证书现在为 {username} 签名").format(file=args.file, username=args.user)


def _crl(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    if args.install:
        number, _changes = service.install_crl(admin, _read(args.install))
        return _("来自 {file} 的证书吊销列表 #{number} 现由本机使用").format(file=args.install, number=number)
    crl, _changes = service.issue_crl(admin, _root_passphrase())
    _write(args.out, crl)
    return _("证书吊销列表已写入：{path}").format(path=args.out)


def _tsa_init(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    service.setup_tsa(admin, _root_passphrase())
    return _("本机现在用自己的时间戳服务为签名加时间戳")


def _tsa_url(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    url = None if args.url == "-" else args.url
    service.set_tsa_url(admin, url)
    return _("时间戳来自 {url}").format(url=url) if url else _("时间戳来自本机自己的时间戳服务")


def _tsa_serve(args: argparse.Namespace) -> int:
    from ltc_assess.signing.tsa import make_server

    with open_as(args, args.admin) as (service, admin):
        service.active_actor(admin, Role.ADMIN)
        timestamper = service.pki.local_timestamper()
    if timestamper is None:
        raise AppError(ErrorCode.NOT_FOUND, _("本机尚无时间戳服务密钥（ltc-assess keys tsa-init）"))
    server = make_server(args.listen, timestamper, lambda line: print(line, flush=True))
    host, port = str(server.server_address[0]), int(server.server_address[1])
    print(_("RFC 3161 时间戳服务位于 http://{host}:{port}/（Ctrl-C 停止）").format(host=host, port=port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AppError(
            ErrorCode.INVALID, _("无法读取 {path}：{strerror}").format(path=path, strerror=exc.strerror)
        ) from None


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise AppError(
            ErrorCode.INVALID, _("无法写入 {path}：{strerror}").format(path=path, strerror=exc.strerror)
        ) from None
