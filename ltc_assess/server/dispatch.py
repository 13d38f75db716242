"""Visit tasks (派单) and what the office and insurers read about decisions.

A task's state follows from the assessment linked to it, so it can never disagree with the record of place:
assigned (nothing started), started, submitted, returned, approved (or superseded); overdue when the due date
has passed before submission.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from ltc_assess import evidence
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.server.review_links import links
from ltc_assess.storage.pg import lifecycle
from ltc_assess.storage.pg import tasks as task_rows
from ltc_assess.storage.pg.repository import ROOT_CERT, PgStore
from ltc_assess.workflow import Role, Status


def create(store: PgStore, task: dict[str, Any], created_by: str) -> dict[str, Any]:
    from ltc_assess.idnumber import check_digit
    from ltc_assess.schema.registry import get_form

    get_form(task["form_ref"])  # AppError when the form is not installed
    number = task["person"]["id_number"]
    if check_digit(number[:17]) != number[17]:
        raise AppError(ErrorCode.INVALID, _("person.id_number {number}：校验位错误").format(number=number))
    for key, role in (("assessor_a", Role.ASSESSOR), ("assessor_b", Role.ASSESSOR), ("expert", Role.SUPERVISOR)):
        name = task[key]
        account = store.account(name) if name else None
        if name and (account is None or account["role"] != role or account["disabled"]):
            raise AppError(
                ErrorCode.INVALID, _("{key}：{name} 不是在职的 {role}").format(key=key, name=name, role=role.value)
            )
    if task["assessor_a"] == task["assessor_b"]:
        raise AppError(ErrorCode.INVALID, _("assessor_b：必须与 assessor_a 不同"))
    uid = uuid.uuid4().hex
    task_rows.insert(store, task | {"uid": uid, "created_by": created_by})
    store.audit(created_by, "task.create", "task", uid, {k: v for k, v in task.items() if k != "person"})
    return _task(store, uid)


def tasks(store: PgStore, assessor: str | None = None) -> list[dict[str, Any]]:
    return [_with_state(r) for r in task_rows.rows(store, assessor)]


def _task(store: PgStore, uid: str) -> dict[str, Any]:
    found = [t for t in tasks(store) if t["uid"] == uid]
    if not found:
        raise AppError(ErrorCode.NOT_FOUND, _("没有任务 {uid}").format(uid=uid))
    return found[0]


def _with_state(row: dict[str, Any]) -> dict[str, Any]:
    status = row.pop("status")
    if row["assessment_uid"] is None:
        state = "assigned"
    else:
        state = {Status.DRAFT: "started", None: "started"}.get(status, status)
    if state in ("assigned", "started", "returned") and row["due_date"] < dt.date.today():
        state = "overdue"
    return row | {"state": state}


def link(store: PgStore, task_uid: str, assessment_uid: str, username: str) -> dict[str, Any]:
    """Link the assessment an assessor started from the task; only its own assessors, only its person."""
    task = _task(store, task_uid)
    if username not in (task["assessor_a"], task["assessor_b"]):
        raise AppError(
            ErrorCode.PERMISSION, _("任务 {task_uid} 未分配给 {username}").format(task_uid=task_uid, username=username)
        )
    if task["assessment_uid"] == assessment_uid:
        return task
    if task["assessment_uid"] is not None:
        raise AppError(
            ErrorCode.CONFLICT,
            _("任务 {task_uid} 已关联评估 {assessment}").format(task_uid=task_uid, assessment=task["assessment_uid"]),
        )
    record = store.record(assessment_uid)
    if record is None:
        raise AppError(
            ErrorCode.NOT_FOUND, _("评估 {assessment_uid} 尚未到达服务器").format(assessment_uid=assessment_uid)
        )
    rec = record["record"]
    if username not in (rec["users"]["assessor1_id"], rec["users"]["assessor2_id"]):
        raise AppError(
            ErrorCode.PERMISSION,
            _("{username} 未参与评估 {assessment_uid}").format(username=username, assessment_uid=assessment_uid),
        )
    if rec["subject"]["id_number"] != task["person"]["id_number"]:
        raise AppError(
            ErrorCode.CONFLICT,
            _("评估 {assessment_uid} 的评估对象与任务 {task_uid} 不同").format(
                assessment_uid=assessment_uid, task_uid=task_uid
            ),
        )
    task_rows.set_link(store, task_uid, assessment_uid)
    store.audit(username, "task.link", "task", task_uid, {"assessment": assessment_uid})
    return _task(store, task_uid)


def decisions(store: PgStore, since: int, limit: int) -> list[dict[str, Any]]:
    """Approved and superseded records after cursor ``since``, as insurers see them."""
    out = []
    root = (store.setting(ROOT_CERT) or "").encode()  # none yet: no decisions either
    for row in task_rows.decision_rows(store, since, limit):
        rec, fields = row["record"], row["record"]["fields"]
        level = fields["decided_level"] if fields["decided_level"] is not None else fields["proposed_level"]
        out.append(
            {
                "uid": row["uid"],
                "cursor": row["seq"],
                "status": row["status"],
                "person_name": rec["subject"]["name"],
                "id_number": rec["subject"]["id_number"],
                "district": rec["subject"]["district"],
                "form_id": fields["form_id"],
                "form_version": fields["form_version"],
                "level": level,
                "proposed_level": fields["proposed_level"],
                "decided_level": fields["decided_level"],
                "decision_reason": fields["decision_reason"],
                "assessment_date": fields["assessment_date"],
                "approved_by": rec["users"]["approved_by"],
                "approved_at": fields["approved_at"],
                "supersedes": rec["supersedes"],
                "report_sha256": _approval(store, row["id"]).get("report_sha256"),
            }
            | _lifecycle(store, row["uid"])
            | {k: None if v is None else v["uid"] for k, v in links(store, root, row["uid"], level).items()}
        )
    return out


def _lifecycle(store: PgStore, uid: str) -> dict[str, Any]:
    """What the signed lifecycle records held here say of a decision: policy, validity, care setting, 公示, letter."""
    from ltc_assess.policies import get_policy

    held = lifecycle.of(store, uid)
    out: dict[str, Any] = {"objections": lifecycle.count(store, uid, "objection")}
    if "conclusion" in held:
        c = held["conclusion"]
        policy = get_policy(c["policy_ref"])
        out |= {
            "policy_ref": c["policy_ref"],
            "policy_city": policy.city,
            "policy_version": policy.version,
            "eligible": bool(c["eligible"]),
            "valid_from": c["valid_from"],
            "valid_until": c["valid_until"],
        }
    if "care_setting" in held:
        out["care_setting"] = held["care_setting"]["setting"]
    if "publicity" in held:
        out |= {k: held["publicity"][k] for k in ("published_at", "publicity_until", "objection_until")}
    if "letter" in held:
        out["letter_sha256"] = held["letter"]["letter_sha256"]
    return out


def letter(store: PgStore, uid: str) -> bytes:
    """The newest signed 告知书 of an approved decision (verified under the agency root when it arrived)."""
    if task_rows.decided_id(store, uid) is None:
        raise AppError(ErrorCode.NOT_FOUND, _("没有已批准的结论 {uid}").format(uid=uid))
    pdf = lifecycle.letter(store, uid)
    if pdf is None:
        raise AppError(ErrorCode.NOT_FOUND, _("结论 {uid} 尚无已签署的告知书").format(uid=uid))
    return pdf


def publicity(store: PgStore, date_from: dt.date, date_to: dt.date) -> list[dict[str, Any]]:
    """The 公示名单 of decisions published in the range that still stand: only what the list shows, the name and
    ID number masked as on the published list (``ltc-assess publicity``)."""
    from ltc_assess.idnumber import mask
    from ltc_assess.lifecycle.objection import mask_name

    out = []
    for row in lifecycle.published(store, date_from.isoformat(), date_to.isoformat()):
        conclusion = lifecycle.of(store, row["uid"]).get("conclusion")
        if conclusion is None:
            continue
        published, subject = json.loads(row["payload"]), row["record"]["subject"]
        out.append(
            {
                "uid": row["uid"],
                "name": mask_name(subject["name"]),
                "id_number": mask(subject["id_number"]),
                "district": subject["district"],
                "level": conclusion["level"],
                "eligible": bool(conclusion["eligible"]),
                "decided_at": conclusion["decided_at"],
                "policy_ref": conclusion["policy_ref"],
                "valid_from": conclusion["valid_from"],
                "valid_until": conclusion["valid_until"],
            }
            | {k: published[k] for k in ("published_at", "publicity_until", "objection_until")}
        )
    return out


def _approval(store: PgStore, aid: int) -> dict[str, Any]:
    """The newest signed approval record of an assessment (its signature was verified when it arrived)."""
    approvals = [json.loads(e["payload"]) for e in store.signed_records(aid) if e["kind"] == evidence.APPROVAL]
    return max(approvals, key=lambda p: str(p.get("approved_at")), default={})


def approved_report(store: PgStore, uid: str) -> bytes:
    """The PDF the approval record names: signed by the assessors and the approving supervisor."""
    aid = task_rows.decided_id(store, uid)
    if aid is None:
        raise AppError(ErrorCode.NOT_FOUND, _("没有已批准的决定 {uid}").format(uid=uid))
    sha = _approval(store, aid).get("report_sha256")
    for report in store.reports(aid):
        if report["sha256"] == sha:
            return bytes(report["pdf"])
    raise AppError(ErrorCode.NOT_FOUND, _("决定 {uid} 没有已签名的报告").format(uid=uid))
