"""``ltc-assess assessments list [--status S] [--json]``."""

from __future__ import annotations

import argparse
import json

from ltc_assess.cli.common import add_db_option, add_login_option, open_as
from ltc_assess.i18n import _
from ltc_assess.idnumber import mask
from ltc_assess.workflow import Status

FIELDS = (
    "id",
    "subject_id",
    "subject_name",
    "id_number",
    "form_id",
    "form_version",
    "status",
    "reason",
    "assessment_date",
    "proposed_level",
    "decided_level",
    "version_no",
    "supersedes_id",
    "created_at",
    "submitted_at",
    "approved_at",
    "exported_at",
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("assessments", help=_("列出评估"))
    asub = p.add_subparsers(dest="assessments_command", metavar="ACTION", required=True, parser_class=type(p))
    lp = asub.add_parser("list", help=_("列出评估及姓名（身份证号已遮蔽；评估员只看到自己的）"))
    lp.add_argument("--status", choices=[s.value for s in Status])
    lp.add_argument("--json", action="store_true", help=_("一个 JSON 数组"))
    add_login_option(lp)
    add_db_option(lp)
    lp.set_defaults(func=_list)


def _list(args: argparse.Namespace) -> int:
    from ltc_assess import access

    with open_as(args) as (service, actor):
        rows = access.assessments(service, actor, args.status)
    out = [{k: (mask(r[k]) if k == "id_number" else r[k]) for k in FIELDS} for r in rows]
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    number, subject, id_number, form, status = _("编号"), _("受评人"), _("身份证号"), _("表单"), _("状态")
    proposed, decided, date = _("建议等级"), _("决定等级"), _("日期")
    print(f"{number:>5}  {subject:<14} {id_number:<19} {form:<18} {status:<10} {proposed:>8} {decided:>7}  {date}")
    for r in out:
        print(
            f"{r['id']:>5}  {r['subject_name'][:12]:<14} {r['id_number']:<19} "
            f"{r['form_id'] + '@' + str(r['form_version']):<18} {r['status']:<10} "
            f"{'' if r['proposed_level'] is None else r['proposed_level']:>8} "
            f"{'' if r['decided_level'] is None else r['decided_level']:>7}  {r['assessment_date']}"
        )
    return 0
