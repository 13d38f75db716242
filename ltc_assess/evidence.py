"""Signed records: the evidence a submission or an approval carries wherever the assessment goes.

A PAdES signature proves who signed a report, not which database row it belongs to. So when assessors submit
and when a supervisor approves, the signer also signs a small canonical JSON record of what they decided —
assessment uid and version, the person, the answers and stored score (hashed), proposed and decided level,
reason, who, when, and the SHA-256 of the report they signed — as a detached CMS signature. An import replays
a change only with its signed record, and ``db check`` re-derives the record from the database and compares: a
row edited after signing (level, answers, score, person, approver) no longer matches what its signer signed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _

SUBMISSION, APPROVAL = "submission", "approval"
KINDS = (SUBMISSION, APPROVAL)


def canonical(value: Any) -> str:
    """The one serialisation that is signed and compared."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Facts:
    """What a signed record speaks about, however the record arrived (database row or bundle entry).
    People are usernames: ids differ between installations."""

    uid: str
    version_no: int
    id_number: str
    name: str
    form_ref: str
    form_sha256: str
    answers: dict[str, Any]
    proposed_level: int | None
    decided_level: int | None
    decision_reason: str | None
    decided_by: str | None
    approved_by: str | None
    approved_at: str | None
    assessor1: str | None
    assessor2: str | None
    submitted_at: str | None
    supersedes: str | None
    score: Any  # the stored result (levels, trace) that reports and insurer files show
    reviews: str | None = None  # a 复评: the uid of the original it re-assessed after an objection
    visit: Any = None  # the on-site visit (``visit_evidence.canonical``); None: one signed before visits travelled


def expected_payload(kind: str, facts: Facts, report_sha256: str) -> dict[str, Any]:
    """The payload the signer of ``kind`` signs for these facts (and what verification expects to find)."""
    common = {
        "kind": kind,
        "assessment": facts.uid,
        "version": facts.version_no,
        "person": digest([facts.id_number, facts.name]),
        "form": [facts.form_ref, facts.form_sha256],
        "answers": digest(facts.answers),
        "score": digest(facts.score),
        "proposed_level": facts.proposed_level,
        "assessors": [facts.assessor1, facts.assessor2],
        "submitted_at": facts.submitted_at,
        "report_sha256": report_sha256,
    }
    if kind == SUBMISSION:
        visit = {} if facts.visit is None else {"visit": digest(facts.visit)}
        return common | {"status": "submitted", "signer": facts.assessor1} | visit
    return (
        common
        | {
            "status": "approved",
            "decided_level": facts.decided_level,
            "decision_reason": facts.decision_reason,
            "decided_by": facts.decided_by,
            "approved_at": facts.approved_at,
            "supersedes": facts.supersedes,
            "signer": facts.approved_by,
        }
        | ({"reviews": facts.reviews} if facts.reviews is not None else {})
    )  # approvals before 复评 travelled: none


def as_signed(payload: dict[str, Any], facts: Facts) -> Facts:
    """The facts a signed record can speak of: a submission signed before the visit travelled with it names no
    visit, so the visit is compared only where it was signed (and counts as signed only there)."""
    if payload.get("kind") == SUBMISSION and "visit" not in payload:
        return replace(facts, visit=None)
    return facts


@dataclass(frozen=True, slots=True)
class SignedRecord:
    kind: str
    payload: str  # canonical JSON, exactly the signed bytes
    signature: bytes  # detached CMS (DER)

    def fields(self) -> dict[str, Any]:
        try:
            value = json.loads(self.payload)
        except ValueError:
            value = None
        if not isinstance(value, dict) or value.get("kind") != self.kind:
            raise AppError(ErrorCode.INTEGRITY, _("{kind} 记录不是有效的签名记录").format(kind=self.kind))
        return value


def sign(kind: str, payload: dict[str, Any], signer: Any) -> SignedRecord:
    """``signer`` turns bytes into a detached CMS signature (the user's key, unlocked by their password)."""
    text = canonical(payload)
    return SignedRecord(kind, text, signer(text.encode("utf-8")))


def verify(record: SignedRecord, root_pem: bytes) -> dict[str, Any]:
    """The payload of a record whose signature is valid under ``root_pem`` and whose certificate belongs to the
    user the payload names as signer; raises AppError(SIGNATURE) otherwise."""
    from ltc_assess.signing.cms import detached_signer
    from ltc_assess.signing.keys import subject_fields

    fields = record.fields()
    try:
        cert = detached_signer(record.payload.encode("utf-8"), record.signature, [root_pem])
    except AppError as exc:
        raise AppError(ErrorCode.SIGNATURE, _("{kind} 记录的签名无效").format(kind=record.kind)) from exc
    username = subject_fields(cert)["username"]
    if username != fields.get("signer"):
        raise AppError(
            ErrorCode.SIGNATURE,
            _("{kind} 记录写明签名人为 {signer}，但实际由 {username} 签名").format(
                kind=record.kind, signer=fields.get("signer"), username=username
            ),
        )
    return fields


def mismatch(signed: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Names of the fields where the record differs from what was signed."""
    return sorted(k for k in set(signed) | set(expected) if signed.get(k) != expected.get(k))
