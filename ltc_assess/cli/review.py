"""``ltc-assess review decide|approve|return ID … --as USER``: the supervisor's decisions, headless.

The same service calls as the app's review dialog, so the same checks apply (role, workflow state, separation
of duties, a reason for a changed level). The password ($LTC_ASSESS_PASSWORD or a prompt) logs in and, for an
approval where signing keys exist, unlocks the supervisor's signing key.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ltc_assess.cli.common import add_db_option, open_service, user_password
from ltc_assess.i18n import _

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("review", help=_("审定等级、批准或退回已提交的评估（审核员）"))
    rsub = p.add_subparsers(dest="review_command", metavar="ACTION", required=True, parser_class=type(p))

    def action(name: str, help_text: str, func: object) -> argparse.ArgumentParser:
        ap = rsub.add_parser(name, help=help_text)
        ap.add_argument("assessment_id", type=int, metavar="ID")
        ap.add_argument("--as", dest="user", required=True, metavar="USER", help=_("执行操作的审核员用户名"))
        add_db_option(ap)
        ap.set_defaults(func=func)
        return ap

    dp = action("decide", _("记录审定等级（与建议等级不同时须提供 --reason）"), _decide)
    dp.add_argument("--level", type=int, required=True, metavar="N")
    dp.add_argument("--reason", default="", metavar="TEXT")
    action("approve", _("以审定等级（否则以建议等级）批准（有密钥时并签名）"), _approve)
    tp = action("return", _("附意见退回评估员"), _return)
    tp.add_argument("--comment", required=True, metavar="TEXT")


def _decided(service: AssessmentService, aid: int) -> str:
    """The stored decided level with its exact name, as the command reports it."""
    record = service.assessment(aid)
    return f"{record.decided_level} {service.form(record.form_ref).level_name(record.decided_level)}"


def _decide(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        actor = service.login(args.user, user_password(args.user))
        service.decide_level(actor, args.assessment_id, args.level, args.reason)
        level = _decided(service, args.assessment_id)
    print(_("评估 {id}：决定等级 {level}").format(id=args.assessment_id, level=level))
    return 0


def _approve(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        secret = user_password(args.user)
        actor = service.login(args.user, secret)
        service.approve(actor, args.assessment_id, secret)
        level = _decided(service, args.assessment_id)
    print(_("评估 {id}：已批准，等级 {level}").format(id=args.assessment_id, level=level))
    return 0


def _return(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        actor = service.login(args.user, user_password(args.user))
        service.return_for_correction(actor, args.assessment_id, args.comment)
    print(_("评估 {id}：已退回评估员").format(id=args.assessment_id))
    return 0
