"""``ltc-assess keys init-root | init-transport | root | issue``: the agency's root, bundle encryption, and
users' certificates.

Secrets come from the environment (scripts) or a prompt: $LTC_ASSESS_PASSWORD (acting admin),
$LTC_ASSESS_ROOT_PASSPHRASE (the root key), $LTC_ASSESS_USER_PASSWORD (the user receiving a certificate),
$LTC_ASSESS_P12_PASSWORD (a PKCS#12 file).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ltc_assess.cli.common import add_db_option, login, open_service, password
from ltc_assess.errors import AppError, ErrorCode

ROOT_ENV = "LTC_ASSESS_ROOT_PASSPHRASE"
USER_ENV = "LTC_ASSESS_USER_PASSWORD"
P12_ENV = "LTC_ASSESS_P12_PASSWORD"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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
    service = open_service(args)
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
