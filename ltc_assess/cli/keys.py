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

from ltc_assess.cli.common import Body, add_db_option, add_login_option, open_as, password, run_as
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
    p = sub.add_parser("keys", help="signing root and user certificates")
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

    ip = action("init-root", "create the agency's signing root (admin)", _init_root)
    ip.add_argument("--agency", required=True, help="agency name (in every certificate)")
    action(
        "init-transport",
        "create the certificate bundles are encrypted to (admin; init-root makes it for new roots)",
        _init_transport,
    )
    rp = ksub.add_parser("root", help="export the root certificate for insurers")
    rp.add_argument("--out", type=Path, required=True)
    add_login_option(rp, "any user (the database is encrypted)")
    add_db_option(rp)
    rp.set_defaults(func=run_as(_root))
    sp = action("issue", "issue a signing certificate to a user (admin; the user types their password)", _issue)
    sp.add_argument("username")
    pp = action(
        "import-p12",
        "sign with your own key and certificate from a real CA (PKCS#12)",
        _import_p12,
        "user",
        "whose certificate this is",
    )
    pp.add_argument("file", type=Path)
    cp = action("crl", "publish the agency's revocation list, or take the office's here (admin)", _crl)
    where = cp.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="issue a new CRL (root passphrase) and write it here")
    where.add_argument("--install", type=Path, metavar="CRL.pem", help="keep the office's newer CRL on this machine")
    action("tsa-init", "give this installation its own timestamp authority (admin)", _tsa_init)
    up = action("tsa-url", "timestamp with an external RFC 3161 authority ('-': this installation's)", _tsa_url)
    up.add_argument("url")
    vp = ksub.add_parser("tsa-serve", help="serve this installation's timestamp authority over HTTP (RFC 3161)")
    vp.add_argument("--listen", default="127.0.0.1:3161", metavar="HOST:PORT", help="port 0 picks a free one")
    vp.add_argument("--as", dest="admin", required=True, metavar="ADMIN", help="the TSA key is in the database")
    add_db_option(vp)
    vp.set_defaults(func=_tsa_serve)


def _root_passphrase() -> str:
    return password("root passphrase: ", ROOT_ENV)


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
    user_password = password(f"{args.username}'s password: ", USER_ENV)
    service.issue_certificate(admin, args.username, root_passphrase, user_password)
    return _("已为 {username} 签发证书").format(username=args.username)


def _import_p12(args: argparse.Namespace, service: AssessmentService, actor: User) -> str:
    data = _read(args.file)
    p12_password = password("PKCS#12 password: ", P12_ENV)
    service.import_certificate(actor, data, p12_password, password(f"password of {args.user}: "))
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
