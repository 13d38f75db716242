"""``ltc-assess objection lodge | review | show``: objections within the policy's window, and the 复评."""

from __future__ import annotations

import argparse
import json

from ltc_assess.cli.after_decision import acting, lifecycle, show_action
from ltc_assess.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("objection", help=_("登记对结论的异议；发起复评"))
    osub = p.add_subparsers(dest="objection_command", metavar="ACTION", required=True, parser_class=type(p))
    lp = acting(osub.add_parser("lodge", help=_("登记异议（超过期限则拒绝，并说明日期）")))
    lp.add_argument("assessment_id", type=int)
    lp.add_argument("--by", required=True, help=_("异议人（本人、监护人或代理人）"))
    lp.add_argument("--reason", required=True)
    lp.set_defaults(func=_lodge)
    rp = acting(osub.add_parser("review", help=_("发起复评（您和 --with 均不得曾参与）")), "ASSESSOR")
    rp.add_argument("objection_id", type=int)
    rp.add_argument("--with", dest="assessor2", required=True, metavar="ASSESSOR2", help=_("第二名评估员"))
    rp.set_defaults(func=_review)
    show_action(osub, _("对评估的异议及其复评"), _show)


def _lodge(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        oid, _changes = lc.lodge_objection(actor, args.assessment_id, args.by, args.reason)
    print(_("已为评估 {id} 登记异议 {objection}").format(id=args.assessment_id, objection=oid))
    return 0


def _review(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        second = lc.service.accounts.user_by_name(args.assessor2)
        if second is None:
            from ltc_assess.errors import AppError, ErrorCode

            raise AppError(
                ErrorCode.NOT_FOUND, _("没有用户 {username!r}").format(username=args.assessor2), where="--with"
            )
        review, _changes = lc.start_review(actor, args.objection_id, second.id)
    print(_("已为异议 {objection} 开启复评评估 {id}").format(id=review.id, objection=args.objection_id))
    return 0


def _show(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        print(json.dumps(lc.reviews(args.assessment_id), ensure_ascii=False, indent=2))
    return 0
