"""Signing what a user just did: the signed record of a submission or approval, and an audit checkpoint.

Called by the service inside the transaction of the change, with the password the user typed for their
signature anyway, so evidence and change are stored together or not at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ltc_assess import evidence, visit_evidence
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.storage import audit
from ltc_assess.storage.records import Assessment

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService
    from ltc_assess.signing.keys import KeyPair


def local_facts(service: AssessmentService, record: Assessment) -> evidence.Facts:
    """The facts of a stored assessment, people by username."""
    names = {u.id: u.username for u in service.store.users()}
    subject = service.store.subject(record.subject_id)
    supersedes = service.store.assessment(record.supersedes_id).uid if record.supersedes_id else None
    return evidence.Facts(
        uid=record.uid,
        version_no=record.version_no,
        id_number=subject.id_number,
        name=subject.name,
        form_ref=record.form_ref,
        form_sha256=record.form_sha256,
        answers=record.answers,
        proposed_level=record.proposed_level,
        decided_level=record.decided_level,
        decision_reason=record.decision_reason,
        decided_by=names.get(record.decided_by or -1),
        approved_by=names.get(record.approved_by or -1),
        approved_at=record.approved_at,
        assessor1=names.get(record.assessor1_id),
        assessor2=names.get(record.assessor2_id or -1),
        submitted_at=record.submitted_at,
        supersedes=supersedes,
        score=record.score,
        reviews=service.after_decision.reviewed_uid(record.id),
        visit=visit_evidence.canonical(
            service.after_decision.visit_people(record.id), service.after_decision.visit_checks(record.id), names
        ),
    )


def _signer(service: AssessmentService, user_id: int, password: str, pair: KeyPair | None = None) -> Any:
    """Signs with the user's stored key opened by ``password`` (or with ``pair``, their key as the app holds it)."""
    from ltc_assess.signing.cms import sign_detached
    from ltc_assess.signing.keys import KeyPair as Pair

    if pair is None:
        stored = service.store.user_key(user_id)
        if stored is None:
            username = service.store.user(user_id).username
            raise AppError(ErrorCode.SIGNATURE, _("{username} 没有签名证书").format(username=username))
        pair = Pair(*stored)
    root = service.root_certificate()
    return lambda data: sign_detached(data, pair, password, [root])


def sign_record(
    service: AssessmentService, aid: int, kind: str, user_id: int, password: str, report_sha256: str, at: str
) -> None:
    """Sign and store the ``kind`` record of assessment ``aid`` as it now stands."""
    payload = evidence.expected_payload(kind, local_facts(service, service.store.assessment(aid)), report_sha256)
    record = evidence.sign(kind, payload, _signer(service, user_id, password))
    service.store.add_signed_record(aid, kind, record.payload, record.signature, at)


def sign_checkpoint(
    service: AssessmentService, user_id: int, password: str, at: str, pair: KeyPair | None = None
) -> dict[str, Any] | None:
    """Sign the audit chain's head (call after the change's own audit row); returns the checkpoint for files
    that carry it (bundles, insurer packages)."""
    head = audit.head(service.db)
    if head is None:
        return None
    payload = checkpoint_payload(head[0], head[1], at, service.store.user(user_id).username)
    record = evidence.sign("checkpoint", payload, _signer(service, user_id, password, pair))
    audit.add_checkpoint(service.db, head[0], record.payload, record.signature)
    return {"payload": record.payload, "signature": record.signature.hex()}


def checkpoint_payload(audit_id: int, audit_hash: str, at: str, signer: str) -> dict[str, Any]:
    """What a user signs to vouch for an audit chain up to row ``audit_id`` (this database's or the server's)."""
    return {"kind": "checkpoint", "audit_id": audit_id, "hash": audit_hash, "at": at, "signer": signer}
