"""A read-only look at any one assessment: answers, scores, explanation, signatures, comments, status history.

Assessors find what they submitted and supervisors what they approved without exporting a PDF. Who may look: the
assessors who took part, and supervisors; an assessor cannot browse colleagues' work by id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.schema.model import FormDef
from ltc_assess.service import SIGNER_LABELS, AssessmentService
from ltc_assess.storage.records import Assessment, Comment, Subject, User
from ltc_assess.workflow import Role

# Who signs the report (PAdES): the assessors at submission, the supervisor at approval.
REPORT_SIGNERS = {**SIGNER_LABELS, "supervisor": "审核员"}

# The audit events that change an assessment's status or sign it, as the history names them.
STATUS_EVENTS = {
    "assessment.start": "开始评估",
    "assessment.submit": "提交",
    "assessment.return": "退回修改",
    "assessment.decide_level": "核定等级",
    "assessment.approve": "批准",
    "assessment.amend": "建立更正版本",
    "assessment.supersede": "被更正版本取代",
    "report.sign": "报告电子签名",
}


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One step of the assessment's history: when, who, what (in the user's language), and any note."""

    at: str
    who: str
    what: str
    note: str


@dataclass(frozen=True, slots=True)
class AssessmentView:
    record: Assessment
    form: FormDef
    subject: Subject
    comments: tuple[Comment, ...]
    signatures: dict[str, bytes]  # role -> handwritten signature (PNG)
    signed_reports: tuple[str, ...]  # roles that signed the report (PAdES), in signing order
    history: tuple[StatusEvent, ...]


def _note(row: dict[str, Any]) -> str:
    new = json.loads(row["new_json"]) if row["new_json"] else {}
    parts = [row["reason"] or ""]
    if row["action"] == "report.sign":
        parts.append(_(REPORT_SIGNERS.get(new.get("role", ""), new.get("role", ""))))
    level = next((new[k] for k in ("decided_level", "proposed_level") if new.get(k) is not None), None)
    if level is not None:
        parts.append(_("等级 {level}").format(level=level))
    return "；".join(p for p in parts if p)


def assessment_view(service: AssessmentService, actor: User, aid: int) -> AssessmentView:
    """Everything there is to see about one assessment, for someone allowed to see it.

    Raises:
        AppError: PERMISSION for an assessor who did not take part, or an admin (no clinical access).
    """
    record = service.assessment(aid)
    if actor.role == Role.ASSESSOR and not record.took_part(actor.id):
        raise AppError(ErrorCode.PERMISSION, _("评估 {aid} 属于其他评估员").format(aid=aid))
    if actor.role not in (Role.ASSESSOR, Role.SUPERVISOR):
        raise AppError(ErrorCode.PERMISSION, _("只有评估员和审核员可以查看评估"))
    names: dict[int, str] = {}

    def who(user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id not in names:
            names[user_id] = service.accounts.user(user_id).display_name
        return names[user_id]

    history = tuple(
        StatusEvent(row["at"], who(row["actor_id"]), _(STATUS_EVENTS[row["action"]]), _note(row))
        for row in service.queries.audit_events(aid)
        if row["action"] in STATUS_EVENTS
    )
    return AssessmentView(
        record=record,
        form=service.form(record.form_ref),
        subject=service.subject(record.subject_id),
        comments=tuple(service.comments(aid)),
        signatures=service.signatures(aid),
        signed_reports=service.queries.signed_report_roles(aid),
        history=history,
    )
