"""``ltc-assess keys init-root | init-transport | root | issue | crl | tsa-init | tsa-url | tsa-serve``: the
agency's signing root, bundle encryption, users' certificates, its revocation lists and its timestamp authority.

Secrets come from the environment (scripts) or a prompt: $LTC_ASSESS_PASSWORD (acting admin),
$LTC_ASSESS_ROOT_PASSPHRASE (the root key), $LTC_ASSESS_USER_PASSWORD (the user receiving a certificate),
$LTC_ASSESS_P12_PASSWORD (a PKCS#12 file).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ltc_assess.cli.common import add_db_option, add_login_option, login, open_as, open_service, password
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.workflow import Role

ROOT_ENV = "LTC_ASSESS_ROOT_PASSPHRASE"
USER_ENV = "LTC_ASSESS_USER_PASSWORD"
P12_ENV = "LTC_ASSESS_P12_PASSWORD"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("keys", help="signing root and user certificates")
    ksub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True, parser_class=type(p))
    ip = ksub.add_parser("init-root", help="create the agency's signing root (admin)")
    ip.add_argument("--agency", required=True, help="agency name (in every certificate)")
    ip.add_argument("--as", dest="admin", required=True, metavar="ADMIN")
    add_db_option(ip)
    ip.set_defaults(func=_init_root)
    tp = ksub.add_parser(
        "init-transport",
        help="create the certificate bundles are encrypted to (admin; init-root makes it for new roots)",
    )
    tp.add_argument("--as", dest="admin", required=True, metavar="ADMIN")
    add_db_option(tp)
    tp.set_defaults(func=_init_transport)
    rp = ksub.add_parser("root", help="export the root certificate for insurers")
    rp.add_argument("--out", type=Path, required=True)
    add_login_option(rp, "any user (the database is encrypted)")
    add_db_option(rp)
    rp.set_defaults(func=_root)
    sp = ksub.add_parser("issue", help="issue a signing certificate to a user (admin; the user types their password)")
    sp.add_argument("username")
    sp.add_argument("--as", dest="admin", required=True, metavar="ADMIN")
    add_db_option(sp)
    sp.set_defaults(func=_issue)
    pp = ksub.add_parser("import-p12", help="sign with your own key and certificate from a real CA (PKCS#12)")
    pp.add_argument("file", type=Path)
    pp.add_argument("--as", dest="user", required=True, metavar="USER", help="whose certificate this is")
    add_db_option(pp)
    pp.set_defaults(func=_import_p12)
    cp = ksub.add_parser("crl", help="publish the agency's revocation list, or take the office's here (admin)")
    where = cp.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="issue a new CRL (root passphrase) and write it here")
    where.add_argument("--install", type=Path, metavar="CRL.pem", help="keep the office's newer CRL on this machine")
    cp.add_argument("--as", dest="admin", required=True, metavar="ADMIN")
    add_db_option(cp)
    cp.set_defaults(func=_crl)
    tp = ksub.add_parser("tsa-init", help="give this installation its own timestamp authority (admin)")
    tp.add_argument("--as", dest="admin", required=True, metavar="ADMIN")
    add_db_option(tp)
    tp.set_defaults(func=_tsa_init)
    up = ksub.add_parser("tsa-url", help="timestamp with an external RFC 3161 authority ('-': this installation's)")
    up.add_argument("url")
    up.add_argument("--as", dest="admin", required=True, metavar="ADMIN")
    add_db_option(up)
    up.set_defaults(func=_tsa_url)
    vp = ksub.add_parser("tsa-serve", help="serve this installation's timestamp authority over HTTP (RFC 3161)")
    vp.add_argument("--listen", default="127.0.0.1:3161", metavar="HOST:PORT", help="port 0 picks a free one")
    vp.add_argument("--as", dest="admin", required=True, metavar="ADMIN", help="the TSA key is in the database")
    add_db_option(vp)
    vp.set_defaults(func=_tsa_serve)


def _init_root(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        cert = service.init_root(login(service, args.admin), args.agency, password("root passphrase: ", ROOT_ENV))
    finally:
        service.close()
    print(cert.decode().strip())
    return 0


def _init_transport(args: argparse.Namespace) -> int:
    from ltc_assess.bundle_seal import init_transport

    service = open_service(args)
    try:
        init_transport(service, login(service, args.admin), password("root passphrase: ", ROOT_ENV))
    finally:
        service.close()
    print("transport certificate created: bundles are now encrypted to the agency")
    return 0


def _root(args: argparse.Namespace) -> int:
    service, _actor = open_as(args)
    try:
        args.out.write_bytes(service.root_certificate())
    finally:
        service.close()
    print(f"root certificate written: {args.out}")
    return 0


def _issue(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        service.issue_certificate(
            login(service, args.admin),
            args.username,
            password("root passphrase: ", ROOT_ENV),
            password(f"{args.username}'s password: ", USER_ENV),
        )
    finally:
        service.close()
    print(f"certificate issued to {args.username}")
    return 0


def _import_p12(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        actor = login(service, args.user)
        try:
            data = args.file.read_bytes()
        except OSError as exc:
            raise AppError(ErrorCode.INVALID, f"cannot read {args.file}: {exc.strerror}") from None
        service.import_certificate(
            actor, data, password("PKCS#12 password: ", P12_ENV), password(f"password of {args.user}: ")
        )
    finally:
        service.close()
    print(f"certificate from {args.file} now signs for {args.user}")
    return 0


def _crl(args: argparse.Namespace) -> int:
    service = open_service(args)
    if args.install:
        try:
            try:
                data = args.install.read_bytes()
            except OSError as exc:
                raise AppError(ErrorCode.INVALID, f"cannot read {args.install}: {exc.strerror}") from None
            number = service.install_crl(login(service, args.admin), data)
        finally:
            service.close()
        print(f"CRL #{number} from {args.install} is now this installation's")
        return 0
    try:
        pem = service.issue_crl(login(service, args.admin), password("root passphrase: ", ROOT_ENV))
    finally:
        service.close()
    _write(args.out, pem)
    print(f"CRL written: {args.out}")
    return 0


def _tsa_init(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        service.setup_tsa(login(service, args.admin), password("root passphrase: ", ROOT_ENV))
    finally:
        service.close()
    print("this installation now timestamps its signatures with its own TSA")
    return 0


def _tsa_url(args: argparse.Namespace) -> int:
    url = None if args.url == "-" else args.url
    service = open_service(args)
    try:
        service.set_tsa_url(login(service, args.admin), url)
    finally:
        service.close()
    print(f"timestamps from {url}" if url else "timestamps from this installation's own TSA")
    return 0


def _tsa_serve(args: argparse.Namespace) -> int:
    from ltc_assess.signing.tsa import make_server

    service = open_service(args)
    try:
        service.active_actor(login(service, args.admin), Role.ADMIN)
        timestamper = service.pki.local_timestamper()
    finally:
        service.close()
    if timestamper is None:
        raise AppError(ErrorCode.NOT_FOUND, "this installation has no TSA key here (ltc-assess keys tsa-init)")
    server = make_server(args.listen, timestamper, lambda line: print(line, flush=True))
    host, port = str(server.server_address[0]), int(server.server_address[1])
    print(f"RFC 3161 timestamp authority at http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise AppError(ErrorCode.INVALID, f"cannot write {path}: {exc.strerror}") from None
