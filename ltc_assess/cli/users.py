"""``ltc-assess users …``: accounts, roles, assessors' qualification numbers and the institution's name and code
(admin only; the first admin at set-up).

Passwords come from $LTC_ASSESS_PASSWORD (the acting admin) and $LTC_ASSESS_NEW_PASSWORD (the account being
created or reset), or are typed at a prompt.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ltc_assess.cli.common import Body, add_db_option, db_path, open_service, password, run_as
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.workflow import Role

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService
    from ltc_assess.storage.records import User

NEW_PASSWORD_ENV = "LTC_ASSESS_NEW_PASSWORD"
Command = Callable[[argparse.Namespace], int]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("users", help=_("添加用户、设置角色、重置密码（管理员）"))
    usub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True, parser_class=type(p))
    roles = [r.value for r in Role]

    def action(name: str, help_text: str, body: Body) -> argparse.ArgumentParser:
        """A subcommand run logged in as the acting admin (``--as ADMIN``)."""
        ap = unattended(name, help_text, run_as(body, "admin"))
        ap.add_argument("--as", dest="admin", required=True, metavar="ADMIN", help=_("执行操作的管理员用户名"))
        return ap

    def unattended(name: str, help_text: str, func: Command) -> argparse.ArgumentParser:
        ap = usub.add_parser(name, help=help_text)
        add_db_option(ap)
        ap.set_defaults(func=func)
        return ap

    ip = unattended("init-admin", _("创建新数据库的第一个管理员"), _init_admin)
    ip.add_argument("username")
    ip.add_argument("--name", required=True, help=_("显示名称"))
    ap = action("add", _("添加用户"), _add)
    ap.add_argument("username")
    ap.add_argument("--name", required=True, help=_("显示名称"))
    ap.add_argument("--role", required=True, choices=roles)
    ap.add_argument("--qualification-no", metavar="NO", help=_("评估员资格证书编号"))
    action("list", _("列出用户"), _list)
    up = action("unlock", _("解除登录失败后的锁定（所有来源）"), _unlock)
    up.add_argument("username")
    sp = action("set", _("修改用户信息"), _set)
    sp.add_argument("username")
    sp.add_argument("--qualification-no", metavar="NO", required=True, help=_("资格编号（'' 表示清除）"))
    gp = action("agency", _("设置印在报告上的评估机构名称和代码"), _agency)
    gp.add_argument("--name", help=_("机构名称"))
    gp.add_argument("--code", help=_("机构代码"))
    rp = action("set-role", _("修改用户角色"), _set_role)
    rp.add_argument("username")
    rp.add_argument("role", choices=roles)
    pp = action("reset-password", _("设置新密码（并解锁账户）"), _reset)
    pp.add_argument("username")
    rp = unattended("recover", _("无管理员可登录时，用托管的恢复密钥设置新密码"), _recover)
    rp.add_argument("username")
    rp.add_argument(
        "--recovery-key-file",
        type=Path,
        required=True,
        metavar="FILE",
        help=_("存放 db recovery-key 所输出密钥的文件（十六进制）"),
    )
    dp = action("disable", _("停用账户"), _disable)
    dp.add_argument("username")


def _init_admin(args: argparse.Namespace) -> int:
    with open_service(args, must_exist=False) as service:
        user, _changes = service.create_first_admin(args.username, args.name, _new_password())
    print(_("管理员 {username} 已创建").format(username=user.username))
    return 0


def _new_password() -> str:
    return password(_("新密码："), NEW_PASSWORD_ENV)


def _add(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    secret = password(_("新用户的密码："), NEW_PASSWORD_ENV)
    user, _changes = service.add_user(admin, args.username, args.name, args.role, secret, args.qualification_no)
    return _("已添加用户 {username}（{role}）").format(username=user.username, role=user.role)


def _list(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    lines = []
    for u in service.users():
        state = _("已停用") if u.disabled else (_("已锁定") if service.locked_out(u.username) else _("正常"))
        qualification = f"  {_('资格证号')} {u.qualification_no}" if u.qualification_no else ""
        lines.append(f"{u.username:<16} {u.role.value:<11} {state:<9} {u.display_name}{qualification}")
    return "\n".join(lines)


def _set(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    service.set_qualification_no(admin, args.username, args.qualification_no)
    user = service.accounts.user_by_name(args.username)
    assert user is not None  # just changed
    number = user.qualification_no or _("（无）")
    return _("用户 {username}：资格证号 {number}").format(username=user.username, number=number)


def _agency(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    service.set_agency(admin, args.name, args.code)
    name, code = service.agency()
    return _("机构：{name} / 代码 {code}").format(name=name or _("（未命名）"), code=code or _("（无）"))


def _set_role(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    service.set_role(admin, args.username, args.role)
    user = service.accounts.user_by_name(args.username)
    assert user is not None  # just changed
    return _("用户 {username} 现为 {role}").format(username=user.username, role=user.role)


def _reset(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    service.reset_password(admin, args.username, _new_password())
    return _("{username} 的密码已重置").format(username=args.username)


def _recover(args: argparse.Namespace) -> int:
    from ltc_assess.service import AssessmentService

    try:
        key = bytes.fromhex(args.recovery_key_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeError):
        message = _("{file}：不是恢复密钥（应为 64 位十六进制数字）").format(file=args.recovery_key_file)
        raise AppError(ErrorCode.INVALID, message) from None
    path = db_path(args)
    if not path.exists():
        raise AppError(ErrorCode.NOT_FOUND, _("找不到数据库 {path}").format(path=path))
    with AssessmentService(path, key=key) as service:
        service.recover_account(key, args.username, _new_password())
    print(_("已用恢复密钥设置 {username} 的密码").format(username=args.username))
    return 0


def _unlock(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    service.unlock_user(admin, args.username)
    return _("用户 {username} 已解锁").format(username=args.username)


def _disable(args: argparse.Namespace, service: AssessmentService, admin: User) -> str:
    service.set_disabled(admin, args.username)
    return _("用户 {username} 已停用").format(username=args.username)
