"""``ltc-assess users …``: accounts, roles, assessors' qualification numbers and the institution's name and code
(admin only; the first admin at set-up).

Passwords come from $LTC_ASSESS_PASSWORD (the acting admin) and $LTC_ASSESS_NEW_PASSWORD (the account being
created or reset), or are typed at a prompt.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ltc_assess.cli.common import add_db_option, db_path, login, open_service, password
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.workflow import Role

NEW_PASSWORD_ENV = "LTC_ASSESS_NEW_PASSWORD"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("users", help="add users, set roles, reset passwords (admin)")
    usub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True, parser_class=type(p))
    roles = [r.value for r in Role]

    def action(name: str, help_text: str, func: object, *, admin: bool = True) -> argparse.ArgumentParser:
        ap = usub.add_parser(name, help=help_text)
        add_db_option(ap)
        if admin:
            ap.add_argument("--as", dest="admin", required=True, metavar="ADMIN", help="acting admin's username")
        ap.set_defaults(func=func)
        return ap

    ip = action("init-admin", "create the first admin of a new database", _init_admin, admin=False)
    ip.add_argument("username")
    ip.add_argument("--name", required=True, help="display name")
    ap = action("add", "add a user", _add)
    ap.add_argument("username")
    ap.add_argument("--name", required=True, help="display name")
    ap.add_argument("--role", required=True, choices=roles)
    ap.add_argument("--qualification-no", metavar="NO", help="assessor's qualification certificate number")
    action("list", "list users", _list)
    up = action("unlock", "lift a lockout after failed logins, for every source", _unlock)
    up.add_argument("username")
    sp = action("set", "change a user's details", _set)
    sp.add_argument("username")
    sp.add_argument("--qualification-no", metavar="NO", required=True, help="qualification number ('' clears it)")
    gp = action("agency", "set the assessment institution's name and code printed on reports", _agency)
    gp.add_argument("--name", help="institution name")
    gp.add_argument("--code", help="institution code")
    rp = action("set-role", "change a user's role", _set_role)
    rp.add_argument("username")
    rp.add_argument("role", choices=roles)
    pp = action("reset-password", "set a new password (unlocks the account)", _reset)
    pp.add_argument("username")
    rp = action("recover", "new password with the escrowed recovery key, when no admin can log in", _recover,
                admin=False)
    rp.add_argument("username")
    rp.add_argument("--recovery-key-file", type=Path, required=True, metavar="FILE",
                    help="file holding the key printed by db recovery-key (hex)")
    dp = action("disable", "disable an account", _disable)
    dp.add_argument("username")


def _init_admin(args: argparse.Namespace) -> int:
    service = open_service(args, must_exist=False)
    try:
        user = service.create_first_admin(args.username, args.name, password("new password: ", NEW_PASSWORD_ENV))
    finally:
        service.close()
    print(f"admin {user.username} created")
    return 0


def _add(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        user = service.add_user(
            login(service, args.admin),
            args.username,
            args.name,
            args.role,
            password("new user's password: ", NEW_PASSWORD_ENV),
            args.qualification_no,
        )
    finally:
        service.close()
    print(f"user {user.username} ({user.role}) added")
    return 0


def _list(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        login(service, args.admin)
        for u in service.users():
            state = "disabled" if u.disabled else ("locked" if service.locked_out(u.username) else "active")
            qualification = f"  资格证号 {u.qualification_no}" if u.qualification_no else ""
            print(f"{u.username:<16} {u.role.value:<11} {state:<9} {u.display_name}{qualification}")
    finally:
        service.close()
    return 0


def _set(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        user = service.set_qualification_no(login(service, args.admin), args.username, args.qualification_no)
    finally:
        service.close()
    print(f"user {user.username}: qualification number {user.qualification_no or '(none)'}")
    return 0


def _agency(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        service.set_agency(login(service, args.admin), args.name, args.code)
        name, code = service.agency()
    finally:
        service.close()
    print(f"agency: {name or '(no name)'} / code {code or '(none)'}")
    return 0


def _set_role(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        user = service.set_role(login(service, args.admin), args.username, args.role)
    finally:
        service.close()
    print(f"user {user.username} is now {user.role}")
    return 0


def _reset(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        service.reset_password(login(service, args.admin), args.username, password("new password: ", NEW_PASSWORD_ENV))
    finally:
        service.close()
    print(f"password of {args.username} reset")
    return 0


def _recover(args: argparse.Namespace) -> int:
    from ltc_assess.service import AssessmentService

    try:
        key = bytes.fromhex(args.recovery_key_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeError):
        raise AppError(ErrorCode.INVALID, f"{args.recovery_key_file}: not a recovery key (64 hex digits)") from None
    path = db_path(args)
    if not path.exists():
        raise AppError(ErrorCode.NOT_FOUND, f"no database at {path}")
    service = AssessmentService(path, key=key)
    try:
        service.recover_account(key, args.username, password("new password: ", NEW_PASSWORD_ENV))
    finally:
        service.close()
    print(f"password of {args.username} set with the recovery key")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        service.unlock_user(login(service, args.admin), args.username)
    finally:
        service.close()
    print(f"user {args.username} unlocked")
    return 0


def _disable(args: argparse.Namespace) -> int:
    service = open_service(args)
    try:
        service.set_disabled(login(service, args.admin), args.username)
    finally:
        service.close()
    print(f"user {args.username} disabled")
    return 0
