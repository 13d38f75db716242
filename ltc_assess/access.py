"""Reads of personal data, each by a logged-in, active user and each in the audit log (PIPL access log:
who read whose record, when). The CLI's reading commands go through here, never straight to the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.service import AssessmentService
from ltc_assess.storage import at_rest
from ltc_assess.storage.db import new_key
from ltc_assess.storage.records import User
from ltc_assess.workflow import Role


def _log(service: AssessmentService, actor: User, action: str, entity: str, entity_id: Any, new: Any = None) -> None:
    with service.unit_of_work(actor) as work:
        work.audit(action, entity, entity_id, new=new)


def report(service: AssessmentService, actor: User, aid: int) -> bytes:
    """An assessment's report; an assessor reads only the records they took part in."""
    actor = service.active_actor(actor)
    record = service.assessment(aid)
    if actor.role == Role.ASSESSOR and not record.took_part(actor.id):
        raise AppError(ErrorCode.PERMISSION, _("评估 {aid} 属于其他评估员").format(aid=aid))
    pdf = service.report_pdf(aid)
    _log(service, actor, "read.report", "assessment", aid, {"subject_id": record.subject_id})
    return pdf


def assessments(service: AssessmentService, actor: User, status: str | None) -> list[dict[str, Any]]:
    """The list with names; an assessor sees their own records only."""
    actor = service.active_actor(actor)
    mine = {"assessor_id": actor.id} if actor.role == Role.ASSESSOR else {}
    rows = service.list_assessments(status=status, **mine)
    _log(service, actor, "read.list", "subjects", None, {"subjects": sorted({r["subject_id"] for r in rows})})
    return rows


def audit_log(service: AssessmentService, actor: User) -> str:
    """The audit trail as CSV, for a supervisor or an admin."""
    actor = service.active_actor(actor, Role.SUPERVISOR, Role.ADMIN)
    _log(service, actor, "read.audit_log", "audit", None)
    return service.audit_csv()


def backup(service: AssessmentService, actor: User, out: Path) -> Path:
    """A whole-database copy (encrypted like the database), by an admin."""
    actor = service.active_actor(actor, Role.ADMIN)
    _log(service, actor, "read.backup", "database", None, {"out": str(out)})
    return service.backup(out)


def recovery_key(service: AssessmentService, actor: User) -> str:
    """The raw database key in hex, for the agency's escrow and forensic repair (an admin; logged)."""
    actor = service.active_actor(actor, Role.ADMIN)
    key = service.database_key()
    if key is None:
        raise AppError(ErrorCode.CONFLICT, _("{path} 未加密（ltc-assess db encrypt）").format(path=service.path))
    _log(service, actor, "db.recovery_key", "database", None)
    return key.hex()


def encrypt(service: AssessmentService, actor: User) -> AssessmentService:
    """Encrypt a plain database in place (an admin); returns the service on the encrypted file."""
    actor = service.active_actor(actor, Role.ADMIN)
    if service.database_key() is not None:
        raise AppError(ErrorCode.CONFLICT, _("{path} 已经加密").format(path=service.path))
    _log(service, actor, "db.encrypt", "database", None)
    service.close()
    key = new_key()
    at_rest.encrypt_in_place(service.path, key)
    return AssessmentService(service.path, key=key)
