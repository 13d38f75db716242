"""``ltc-assess conclusion show ID | status-review ID --on D --reason R --as USER``."""

from __future__ import annotations

import argparse
import json

from ltc_assess.cli.after_decision import acting, lifecycle, show_action
from ltc_assess.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("conclusion", help=_("结论的政策版本、有效期、公示；标记状态评估"))
    csub = p.add_subparsers(dest="conclusion_command", metavar="ACTION", required=True, parser_class=type(p))
    show_action(csub, _("批准时记录的结论（JSON）"), _show)
    rp = acting(csub.add_parser("status-review", help=_("预计状况明显变化：状态评估于 --on 到期")))
    rp.add_argument("assessment_id", type=int)
    rp.add_argument("--on", required=True, metavar="YYYY-MM-DD")
    rp.add_argument("--reason", required=True)
    rp.set_defaults(func=_status_review)


def _show(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        print(json.dumps(lc.conclusion(args.assessment_id), ensure_ascii=False, indent=2))
    return 0


def _status_review(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        lc.flag_status_review(actor, args.assessment_id, args.on, args.reason)
    print(_("评估 {id} 的状态评估定于 {date}").format(id=args.assessment_id, date=args.on))
    return 0
