"""``ltc-assess due [--within 30d] [--json]``: conclusions expiring, 状态评估 due, people who may not re-apply."""

from __future__ import annotations

import argparse
import json
import re

from ltc_assess.cli.after_decision import acting, lifecycle
from ltc_assess.i18n import _


def _days(value: str) -> int:
    match = re.fullmatch(r"(\d+)d?", value)
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days, e.g. 30d")
    return int(match.group(1))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("due", help=_("到期事项：即将到期的结论、状态评估、重新申请等待期"))
    p.add_argument("--within", type=_days, default=30, metavar="DAYS", help=_("期限，如 30d（默认）"))
    p.add_argument("--json", action="store_true", help=_("一个 JSON 数组"))
    acting(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ltc_assess.lifecycle import DUE_LABELS

    with lifecycle(args) as (lc, actor):
        entries = lc.due(args.within)
    if args.json:
        print(json.dumps([e.as_json() for e in entries], ensure_ascii=False, indent=2))
        return 0
    for e in entries:
        print(f"{e.date}  {_(DUE_LABELS[e.kind]):<10} {e.assessment_id:>5}  {e.subject_name}  {e.level}  {e.note}")
    if not entries:
        print(_("{days} 天内没有到期事项").format(days=args.within))
    return 0
