"""The shape of an incoming record: what a bundle file or the office server may hand us, parsed strictly.

Every field is typed and bounded (lengths, hashes, uids, statuses), so that the rules in ``replay`` only ever
see well-formed records; anything else is refused with the first bad place named.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _

Text = Annotated[str, StringConstraints(max_length=10_000)]
Uid = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Sha = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Small = Annotated[int, Field(ge=0, le=1_000_000)]
USER_FIELDS = ("assessor1_id", "assessor2_id", "decided_by", "created_by", "approved_by")
# lifecycle.json's entries (conclusion, 公示, objections, care setting, letters: a few per decision) that one bundle
# may carry: each is a signature to check, so an unbounded list lets one file hold an import or a push for hours.
# An office's ``bundle export --everything`` of some ten thousand decisions fits; the server takes fewer per push.
MAX_LIFECYCLE_RECORDS = 100_000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class IncomingSubject(_Model):
    uid: Uid
    name: Text
    sex: Literal["male", "female"]
    birth_date: Text
    id_number: Annotated[str, StringConstraints(max_length=32)]
    insurance_no: Text | None
    address: Text | None
    district: Text | None
    phone: Text | None
    contacts: list[dict[str, Text]] = Field(max_length=100)


class IncomingFields(_Model):
    form_id: Text
    form_version: Small
    form_sha256: Sha
    reason: Text
    assessment_date: Text
    place: Text | None
    informant_name: Text | None
    informant_relation: Text | None
    status: Literal["draft", "submitted", "returned", "approved", "superseded"]
    current_item: Text | None
    score_json: Annotated[str, StringConstraints(max_length=10_000_000)] | None
    engine_version: Text | None
    proposed_level: Small | None
    decided_level: Small | None
    decision_reason: Text | None
    version_no: Small
    created_at: Text
    updated_at: Text
    submitted_at: Text | None
    approved_at: Text | None
    exported_at: Text | None


class IncomingComment(_Model):
    author: Text
    item_id: Text | None
    body: Text
    created_at: Text


class IncomingReport(_Model):
    revision: Annotated[int, Field(ge=1, le=10_000)]
    signer_role: Literal["assessor1", "assessor2", "supervisor", "export"]
    sha256: Sha
    created_at: Text
    pdf: str


class IncomingEvidence(_Model):
    kind: Literal["submission", "approval"]
    payload: Annotated[str, StringConstraints(max_length=100_000)]
    signature: str


class IncomingVisitor(_Model):
    user: Text
    check_in_at: Text
    check_in_place: Text
    check_out_at: Text | None
    check_out_place: Text | None


class IncomingChecks(_Model):
    identity_checked: bool
    guardian_present: bool
    guardian_name: Text | None
    recorded_by: Text
    recorded_at: Text


class IncomingVisit(_Model):
    """The on-site visit (``visit_evidence.canonical``); it counts only where a signed submission names it."""

    people: list[IncomingVisitor] = Field(max_length=100)
    checks: IncomingChecks | None


class IncomingRecord(_Model):
    uid: Uid
    content_hash: Sha
    base_hash: Sha | None
    subject: IncomingSubject
    fields: IncomingFields
    users: dict[Literal["assessor1_id", "assessor2_id", "decided_by", "created_by", "approved_by"], Text | None]
    supersedes: Uid | None
    reviews: Uid | None = None  # a 复评: the original it re-assessed (its signed approval says so too)
    answers: dict[Text, Any]
    comments: list[IncomingComment]
    signatures: dict[Literal["assessor1", "assessor2", "informant"], str]
    reports: list[IncomingReport]
    evidence: list[IncomingEvidence] = Field(default_factory=list)
    visit: IncomingVisit | None = None  # records from before visits travelled carry none


M = TypeVar("M", bound=BaseModel)


class TooMany(AppError):
    """A bundle file lists more entries than the receiver takes (the server answers 413)."""


def _entries(data: bytes, model: type[M], name: str, where: str, limit: int | None = None) -> list[M]:
    """The JSON list ``name`` of a bundle, each entry validated as ``model``; one clear error naming the first bad
    place (records.json and lifecycle.json alike), or the file and ``limit`` when it lists more (counted before
    any entry is validated)."""
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        raise AppError(ErrorCode.INTEGRITY, _("{file}：不是 JSON").format(file=name), where=where) from None
    if not isinstance(raw, list):
        raise AppError(ErrorCode.INTEGRITY, _("{file}：不是记录列表").format(file=name), where=where)
    if limit is not None and len(raw) > limit:
        message = _("{file}：最多 {limit} 条记录，而不是 {count} 条（请拆分）").format(
            file=name, limit=limit, count=len(raw)
        )
        raise TooMany(ErrorCode.INVALID, message, where=where)
    entries = []
    for n, item in enumerate(raw):
        try:
            entries.append(model.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            place = ".".join(str(p) for p in first["loc"])
            message = _("{file}：第 {n} 条记录：{place}：{problem}").format(
                file=name, n=n, place=place, problem=first["msg"]
            )
            raise AppError(ErrorCode.INTEGRITY, message, where=where) from None
    return entries


def _entry(name: str, n: int) -> str:
    return _("{file}：第 {n} 条记录").format(file=name, n=n)


def parse_records(data: bytes, where: str) -> list[dict[str, Any]]:
    """``records.json`` checked against the bundle format; one clear error naming the first bad place."""
    records = []
    for n, record in enumerate(_entries(data, IncomingRecord, "records.json", where)):
        missing = sorted(set(USER_FIELDS) - set(record.users))
        if missing:
            message = _("{what}：缺少 users.{field}").format(what=_entry("records.json", n), field=missing[0])
            raise AppError(ErrorCode.INTEGRITY, message, where=where)
        for blob in [
            *record.signatures.values(),
            *(r.pdf for r in record.reports),
            *(e.signature for e in record.evidence),
        ]:
            b64(blob, _entry("records.json", n), where)
        records.append(record.model_dump())
    return records


def b64(text: str, what: str, where: str = "") -> bytes:
    """A base64 field of a record, decoded; a clear error naming it when it is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise AppError(
            ErrorCode.INTEGRITY, _("{what}：不是 base64 编码").format(what=what), where=where or None
        ) from None


class IncomingLifecycle(_Model):
    kind: Literal["confirmation", "conclusion", "publicity", "objection", "care_setting", "letter"]
    payload: Annotated[str, StringConstraints(max_length=100_000)]
    signature: Annotated[str, StringConstraints(max_length=100_000)]
    attachment: Annotated[str, StringConstraints(max_length=30_000_000)] | None


def parse_lifecycle(data: bytes, where: str, limit: int = MAX_LIFECYCLE_RECORDS) -> list[dict[str, Any]]:
    """``lifecycle.json`` (signed after-the-decision records, at most ``limit``), checked; blobs decoded to bytes."""
    items = []
    for n, item in enumerate(_entries(data, IncomingLifecycle, "lifecycle.json", where, limit)):
        what = _entry("lifecycle.json", n)
        attachment = b64(item.attachment, what, where) if item.attachment is not None else None
        items.append(
            {"kind": item.kind, "payload": item.payload, "signature": b64(item.signature, what, where),
             "attachment": attachment}  # fmt: skip
        )
    return items
