"""``ltc-assess review decide|approve|return ID … --as USER``: the supervisor's decisions, headless.

The same service calls as the app's review dialog, so the same checks apply (role, workflow state, separation
of duties, a reason for a changed level). The password ($LTC_ASSESS_PASSWORD or a prompt) logs in and, for an
approval where signing keys exist, unlocks the supervisor's signing key.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ltc_assess.cli.common import add_db_option, open_service, password
from ltc_assess.i18n import _

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("review", help="decide a level, approve or return a submitted assessment (supervisor)")
    rsub = p.add_subparsers(dest="review_command", metavar="ACTION", required=True, parser_class=type(p))

    def action(name: str, help_text: str, func: object) -> argparse.ArgumentParser:
        ap = rsub.add_parser(name, help=help_text)
        ap.add_argument("assessment_id", type=int, metavar="ID")
        ap.add_argument("--as", dest="user", required=True, metavar="USER", help="acting supervisor's username")
        add_db_option(ap)
        ap.set_defaults(func=func)
        return ap

    dp = action("decide", "record the decided level (a level other than the proposed one needs --reason)", _decide)
    dp.add_argument("--level", type=int, required=True, metavar="N")
    dp.add_argument("--reason", default="", metavar="TEXT")
    action("approve", "approve (and sign, where keys exist) with the decided or else the proposed level", _approve)
    tp = action("return", "send back to the assessors with a comment", _return)
    tp.add_argument("--comment", required=True, metavar="TEXT")


def _decided(service: AssessmentService, aid: int) -> str:
    """The stored decided level with its exact name, as the command reports it."""
    record = service.assessment(aid)
    return f"{record.decided_level} {service.form(record.form_ref).level_name(record.decided_level)}"


def _decide(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        actor = service.login(args.user, password(f"password for {args.user}: "))
        service.decide_level(actor, args.assessment_id, args.level, args.reason)
        level = _decided(service, args.assessment_id)
    print(_("评估 {id}：决定等级 {level}").format(id=args.assessment_id, level=level))
    return 0


def _approve(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        secret = password(f"password for {args.user}: ")
        actor = service.login(args.user, secret)
        service.approve(actor, args.assessment_id, secret)
        level = _decided(service, args.assessment_id)
    print(_("评估 {id}：已批准，等级 {level}").format(id=args.assessment_id, level=level))
    return 0


def _return(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        actor = service.login(args.user, password(f"password for {args.user}: "))
        service.return_for_correction(actor, args.assessment_id, args.comment)
    print(_("评估 {id}：已退回评估员").format(id=args.assessment_id))
    return 0
