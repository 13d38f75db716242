"""Tamper evidence beyond the audit chain: what ``db check`` verifies after the chain itself.

A plain hash chain only proves that rows fit together; whoever edits the file can drop the triggers, delete
the last rows or recompute every hash. So the check also asks things an editor cannot fake without a user's
private key:

- every trigger the schema defines is present;
- every signed audit checkpoint verifies under this database's root and still matches the audit row it names
  (a chain cut short before it, or recomputed, no longer does);
- every user's role and disabled flag are what the audit log last recorded (a promotion by SQL is not);
- every approved record matches the supervisor's signed approval record and its PAdES-signed report (answers,
  level, person, approver); approvals logged before approvals were signed need their audit event instead;
- every submitted record's on-site visit is the one its assessor signed with the submission.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ltc_assess import evidence
from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.storage import audit
from ltc_assess.storage.triggers import missing_triggers
from ltc_assess.workflow import Status

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService
    from ltc_assess.storage.records import Assessment

EVIDENCE_FROM = "evidence_from_audit_id"  # set by migration m004


def problems(service: AssessmentService) -> list[str]:
    """Everything found, one line each (empty: nothing found)."""
    found = [_("触发器 {name} 缺失（被绕过应用程序删除？）").format(name=name) for name in missing_triggers(service.db)]
    root = service.store.setting("root_cert_pem")
    found += _checkpoints(service, root.encode() if root else None)
    found += _users(service)
    found += _approved(service, root.encode() if root else None)
    found += _visits(service)
    return found


def _visits(service: AssessmentService) -> list[str]:
    """Each submitted (or later) record's on-site visit as its newest signed submission states it: a visit row
    deleted or edited by SQL afterwards (no trigger stops a DELETE) no longer matches, so an approver taken off
    the visit is found. Submissions signed before visits travelled name none."""
    from ltc_assess.service.attestation import local_facts

    found = []
    for row in service.store.list_assessments(limit=10_000_000):
        if row["status"] not in (Status.SUBMITTED, Status.APPROVED, Status.SUPERSEDED):
            continue
        signed = [e for e in service.store.signed_records(row["id"]) if e["kind"] == evidence.SUBMISSION]
        visit = json.loads(signed[-1]["payload"]).get("visit") if signed else None
        held = local_facts(service, service.store.assessment(row["id"])).visit
        if visit is not None and visit != evidence.digest(held):
            found.append(_("评估 {uid}：现场记录与提交时签署的不符").format(uid=row["id"]))
    return found


def _checkpoints(service: AssessmentService, root: bytes | None) -> list[str]:
    rows = audit.checkpoints(service.db)
    usernames = {u.username for u in service.store.users()}
    found = checkpoint_problems(rows, root, usernames, lambda audit_id: audit.hash_at(service.db, audit_id))
    first = int(rows[0]["audit_id"]) if rows else None
    start = int(service.store.setting(EVIDENCE_FROM) or 0)
    if first is not None and start > first:
        found.append(_("设置 {name} 被绕过应用程序调高").format(name=EVIDENCE_FROM))
    return found


def checkpoint_problems(
    rows: list[dict[str, Any]], root: bytes | None, usernames: set[str], hash_at: Callable[[int], str | None]
) -> list[str]:
    """Signed audit checkpoints (``id``, ``audit_id``, ``payload``, ``signature``) against the chain they name,
    wherever it is kept (``hash_at``: the hash of an audit row, None when it is gone): each must verify under
    ``root``, be signed by a known user and still match its row — a chain cut short or recomputed does not."""
    if root is None:
        return [_("存在审计检查点，但签名根证书已不存在")] if rows else []
    found = []
    for row in rows:
        where = {"id": row["id"], "audit_id": row["audit_id"]}
        try:
            signed = evidence.verify(evidence.SignedRecord("checkpoint", row["payload"], bytes(row["signature"])), root)
        except LtcError as exc:
            found.append(_("审计检查点 {id}：{reason}").format(reason=exc.message, **where))
            continue
        if signed.get("signer") not in usernames or signed.get("audit_id") != row["audit_id"]:
            found.append(_("审计检查点 {id}：与其签名内容不符").format(**where))
            continue
        have = hash_at(row["audit_id"])
        if have is None:
            found.append(
                _("审计检查点 {id}：{signer} 签名的审计记录 {audit_id} 缺失").format(signer=signed["signer"], **where)
            )
        elif have != signed.get("hash"):
            differs = _("审计检查点 {id}：审计记录 {audit_id} 与 {signer} 签名的内容不同")
            found.append(differs.format(signer=signed["signer"], **where))
    return found


def _users(service: AssessmentService) -> list[str]:
    """Role and disabled flag against the last audit events that set them."""
    logged: dict[str, dict[str, Any]] = {}
    for row in audit.events(service.db, "user", ("user.add", "user.set_role", "user.disable", "user.enable")):
        new = json.loads(row["new_json"] or "{}")
        state = logged.setdefault(row["entity_id"], {"role": None, "disabled": False})
        if row["action"] in ("user.add", "user.set_role"):
            state["role"] = new.get("role")
        else:
            state["disabled"] = row["action"] == "user.disable"
    found = []
    for user in service.store.users():
        last = logged.get(str(user.id))
        if last is None:
            found.append(_("用户 {username}：不在审计日志中（被绕过应用程序添加？）").format(username=user.username))
        elif last["role"] != user.role.value:
            found.append(
                _("用户 {username}：角色为 {role}，但审计日志记录的是 {logged}").format(
                    username=user.username, role=user.role.value, logged=last["role"]
                )
            )
        elif last["disabled"] != user.disabled:
            found.append(_("用户 {username}：停用标记与审计日志不符").format(username=user.username))
    return found


def _approved(service: AssessmentService, root: bytes | None) -> list[str]:
    found = []
    start = int(service.store.setting(EVIDENCE_FROM) or 0)
    approvals = {r["entity_id"]: r["id"] for r in audit.events(service.db, "assessment", ("assessment.approve",))}
    imported = _imported_uids(service)
    for row in service.store.list_assessments(limit=10_000_000):
        if row["status"] not in (Status.APPROVED, Status.SUPERSEDED):
            continue
        record = service.store.assessment(row["id"])
        signed = [e for e in service.store.signed_records(record.id) if e["kind"] == evidence.APPROVAL]
        logged = approvals.get(str(record.id))
        if signed and root is not None:
            problem = _against_evidence(service, record, signed[-1], root)
        elif root is None or (logged is not None and logged <= start):
            ok = logged is not None or record.uid in imported
            problem = None if ok else _("已批准，但审计日志中没有批准记录")
        else:
            problem = _("已批准，但没有审核员签名的批准记录")
        if problem:
            found.append(_("评估 {uid}：{reason}").format(uid=record.id, reason=problem))
    return found


def _imported_uids(service: AssessmentService) -> set[str]:
    uids: set[str] = set()
    for row in audit.events(service.db, "bundle", ("bundle.import",)):
        new = json.loads(row["new_json"] or "{}")
        uids.update(new.get("added", []) + new.get("updated", []))
    return uids


def _against_evidence(service: AssessmentService, record: Assessment, row: dict[str, Any], root: bytes) -> str | None:
    """Why the approved record does not match its signed approval and signed report (None: it does)."""
    from ltc_assess.service.attestation import local_facts
    from ltc_assess.signing.pades import only_timestamps_added, verify_pdf

    try:
        signed = evidence.verify(evidence.SignedRecord(row["kind"], row["payload"], bytes(row["signature"])), root)
    except LtcError as exc:
        return exc.message
    reports = {hashlib.sha256(bytes(r["pdf"])).hexdigest(): bytes(r["pdf"]) for r in service.store.reports(record.id)}
    sha = signed.get("report_sha256")
    differs = evidence.mismatch(
        signed, evidence.expected_payload(evidence.APPROVAL, local_facts(service, record), str(sha))
    )
    if record.uid != signed.get("assessment"):
        return _("其签名的批准记录属于另一评估")
    if differs:
        return _("{fields} 与审核员签名的批准记录不符").format(fields=", ".join(differs))
    if sha not in reports:
        return _("审核员签名的报告缺失")
    latest = service.store.latest_report(record.id)
    if latest is None or (
        hashlib.sha256(latest).hexdigest() != sha and not only_timestamps_added(latest, reports[str(sha)], [root])
    ):
        return _("其最新报告不是审核员签名的那份")
    verdict = verify_pdf(reports[str(sha)], [root])
    if not verdict.ok:
        return _("已批准的报告：{problems}").format(problems="; ".join(verdict.problems))
    last = verdict.signatures[-1]
    if (last.field, last.username) != ("supervisor", signed.get("signer")):
        return _("已批准报告的最后一个签名不是批准人的")
    return None
