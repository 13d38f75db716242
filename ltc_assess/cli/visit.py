"""``ltc-assess visit …``: the two-person on-site protocol (qualification, check-in/out, identity and guardian
checks, expert confirmation of the conclusion)."""

from __future__ import annotations

import argparse

from ltc_assess.cli.after_decision import acting, lifecycle, show_action
from ltc_assess.i18n import _
from ltc_assess.policies.model import QUALIFICATIONS


def _yes_no(value: str) -> bool:
    if value not in ("yes", "no"):
        raise argparse.ArgumentTypeError("answer yes or no")
    return value == "yes"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("visit", help=_("现场规程：资格、签到/签退、核查、专家确认"))
    vsub = p.add_subparsers(dest="visit_command", metavar="ACTION", required=True, parser_class=type(p))
    qp = acting(vsub.add_parser("qualify", help=_("设置用户的资格（管理员）")), "ADMIN")
    qp.add_argument("username")
    qp.add_argument("kind", choices=[*QUALIFICATIONS, "none"], help=_("assessor（评估员）/ expert（评估专家）"))
    qp.set_defaults(func=_qualify)
    for name, said in (
        ("check-in", _("现场签到（时间取自时钟，--place 按所给）")),
        ("check-out", _("现场签退（时间取自时钟，--place 按所给）")),
    ):
        cp = acting(vsub.add_parser(name, help=said))
        cp.add_argument("assessment_id", type=int)
        cp.add_argument("--place", required=True, help=_("地点（地址或坐标）"))
        cp.set_defaults(func=_check_in_out)
    kp = acting(vsub.add_parser("checks", help=_("记录身份核验及监护人在场情况")))
    kp.add_argument("assessment_id", type=int)
    kp.add_argument("--identity-checked", required=True, type=_yes_no, metavar="yes|no")
    kp.add_argument("--guardian-present", required=True, type=_yes_no, metavar="yes|no")
    kp.add_argument("--guardian", help=_("监护人或代理人姓名"))
    kp.set_defaults(func=_checks)
    fp = acting(vsub.add_parser("confirm", help=_("评估专家确认结论等级")), "EXPERT")
    fp.add_argument("assessment_id", type=int)
    fp.add_argument("--level", type=int, required=True)
    fp.set_defaults(func=_confirm)
    show_action(vsub, _("在场人员、核查、确认"), _show)


def _qualify(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        kind = None if args.kind == "none" else args.kind
        lc.set_qualification(actor, args.username, kind)
        user = lc.service.accounts.user_by_name(args.username)
    assert user is not None  # just changed
    print(f"{user.username}: {QUALIFICATIONS.get(user.qualification or '', '—')}")
    return 0


def _check_in_out(args: argparse.Namespace) -> int:
    arriving = args.visit_command == "check-in"
    with lifecycle(args) as (lc, actor):
        (lc.check_in if arriving else lc.check_out)(actor, args.assessment_id, args.place)
    done = _("{actor} 已签到评估 {id}") if arriving else _("{actor} 已签退评估 {id}")
    print(done.format(actor=args.actor, id=args.assessment_id))
    return 0


def _checks(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        lc.record_checks(actor, args.assessment_id, args.identity_checked, args.guardian_present, args.guardian)
    print(_("评估 {id} 的核查已记录").format(id=args.assessment_id))
    return 0


def _confirm(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        lc.confirm(actor, args.assessment_id, args.level)
    print(_("{actor} 确认评估 {id} 的等级为 {level}").format(actor=args.actor, level=args.level, id=args.assessment_id))
    return 0


def _show(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        people, checks = lc.visit(args.assessment_id)
        confirmations = lc.confirmations(args.assessment_id)
    for p in people:
        kind = QUALIFICATIONS.get(p["qualification"] or "", "—")
        print(
            _("{name}（{kind}）：签到 {check_in} @ {in_place}；签退 {check_out} @ {out_place}").format(
                name=p["display_name"],
                kind=kind,
                check_in=p["check_in_at"],
                in_place=p["check_in_place"],
                check_out=p["check_out_at"] or "—",
                out_place=p["check_out_place"] or "—",
            )
        )
    if checks:
        said = _("身份已核验：{identity}；监护人在场：{guardian} {name}")
        identity, guardian = bool(checks["identity_checked"]), bool(checks["guardian_present"])
        print(said.format(identity=identity, guardian=guardian, name=checks["guardian_name"] or "").rstrip())
    for c in confirmations:
        print(
            _("{name} 于 {at} 确认等级 {level}").format(level=c["level"], name=c["display_name"], at=c["confirmed_at"])
        )
    return 0
