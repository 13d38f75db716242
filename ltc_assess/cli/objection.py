"""``ltc-assess objection lodge | review | show``: objections within the policy's window, and the 复评."""

from __future__ import annotations

import argparse
import json

from ltc_assess.cli.after_decision import acting, lifecycle, show_action
from ltc_assess.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("objection", help="record an objection to a conclusion; open its 复评")
    osub = p.add_subparsers(dest="objection_command", metavar="ACTION", required=True, parser_class=type(p))
    lp = acting(osub.add_parser("lodge", help="record an objection (refused after the window, naming the date)"))
    lp.add_argument("assessment_id", type=int)
    lp.add_argument("--by", required=True, help="who objects (the person, guardian or agent)")
    lp.add_argument("--reason", required=True)
    lp.set_defaults(func=_lodge)
    rp = acting(osub.add_parser("review", help="open the 复评 (you and --with must not have taken part)"), "ASSESSOR")
    rp.add_argument("objection_id", type=int)
    rp.add_argument("--with", dest="assessor2", required=True, metavar="ASSESSOR2", help="second assessor")
    rp.set_defaults(func=_review)
    show_action(osub, "objections to an assessment and their 复评", _show)


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
