"""The shapes the server's HTTP API accepts and returns: they make its OpenAPI 3.1 document (docs/openapi.json)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Text people type: no NUL or other control characters (tab and line breaks aside), which PostgreSQL cannot store
# (NUL) or nobody can read; refused as a 422 that says so, not a 500 from the database.
PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=PRINTABLE)]
Sha = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Uid = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    error: str
    refusals: list[str] = Field(default_factory=list)


class ChallengeIn(_In):
    username: Name


class Challenge(BaseModel):
    nonce: str
    audience: str
    expires_at: str


class TokenIn(_In):
    statement: Annotated[str, StringConstraints(max_length=1000, pattern=PRINTABLE)]
    signature: Annotated[str, StringConstraints(max_length=20_000, pattern=PRINTABLE)] = Field(
        description="detached CMS, base64"
    )


class Token(BaseModel):
    token: str
    role: str
    expires_at: str


class UploadIn(_In):
    sha256: Sha
    size: Annotated[int, Field(ge=1, description="bytes; more than the server takes: 413")]


class Push(BaseModel):
    """A pushed bundle in the server's queue: acknowledged when queued, verified and applied (or refused) later."""

    id: int
    sha256: str
    state: Literal["queued", "applied", "refused"]
    queued_at: dt.datetime
    done_at: dt.datetime | None = None
    result: dict[str, Any] | None = Field(default=None, description="applied: what changed (as bundle import says)")
    error: str | None = Field(default=None, description="refused: why, in the language of the push's request")
    refusals: list[str] = Field(default_factory=list, description="refused: one line per refused record")
    status: int | None = Field(default=None, description="refused: the HTTP status the refusal corresponds to")


class Upload(BaseModel):
    sha256: str
    size: int
    received: int
    result: dict[str, Any] | None = Field(default=None, description="the applied push's result (see push)")
    push: Push | None = Field(default=None, description="the caller's push of this upload, once queued")


class Change(BaseModel):
    cursor: int
    changed_by: str
    record: dict[str, Any] = Field(description="an assessment in the bundle format (records.json)")


class Changes(BaseModel):
    changes: list[Change]
    cursor: int
    more: bool


class Person(_In):
    uid: Uid
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=PRINTABLE)]
    sex: Literal["male", "female"]
    birth_date: dt.date
    id_number: Annotated[str, StringConstraints(pattern=r"^[0-9]{17}[0-9X]$")]
    phone: Annotated[str, StringConstraints(max_length=40, pattern=PRINTABLE)] | None = None
    district: Annotated[str, StringConstraints(max_length=100, pattern=PRINTABLE)] | None = None
    address: Annotated[str, StringConstraints(max_length=300, pattern=PRINTABLE)] | None = None


class TaskIn(_In):
    person: Person
    form_ref: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+@[0-9]+$")]
    assessor_a: Name
    assessor_b: Name | None = None
    expert: Name | None = None
    due_date: dt.date
    note: Annotated[str, StringConstraints(max_length=1000, pattern=PRINTABLE)] | None = None


TaskState = Literal["assigned", "started", "submitted", "returned", "approved", "superseded", "overdue"]


class Task(BaseModel):
    uid: str
    person: dict[str, Any]
    form_ref: str
    assessor_a: str
    assessor_b: str | None
    expert: str | None
    due_date: dt.date
    note: str | None
    created_by: str
    assessment_uid: str | None
    state: TaskState


class LinkIn(_In):
    assessment_uid: Uid


class Decision(BaseModel):
    """An approved (or since superseded) decision as the insurer receives it."""

    uid: str
    cursor: int
    status: Literal["approved", "superseded"]
    person_name: str
    id_number: str
    district: str | None
    form_id: str
    form_version: int
    level: int | None = Field(description="the level that counts: the supervisor's decision, else the proposal")
    proposed_level: int | None
    decided_level: int | None
    decision_reason: str | None
    assessment_date: str
    approved_by: str | None
    approved_at: str | None
    supersedes: str | None
    report_sha256: str | None = Field(description="SHA-256 of the report PDF the supervisor signed")
    policy_ref: str | None = Field(None, description="the city policy version it was decided under (city@version)")
    policy_city: str | None = None
    policy_version: int | None = None
    eligible: bool | None = Field(None, description="whether the level qualifies for benefits under that policy")
    valid_from: str | None = None
    valid_until: str | None = Field(None, description="last day the conclusion is valid")
    care_setting: str | None = Field(None, description="home, community, institution or hospital, as signed for")
    published_at: str | None = Field(None, description="first day of its 公示")
    publicity_until: str | None = None
    objection_until: str | None = None
    objections: int = Field(0, description="objections lodged against it")
    letter_sha256: str | None = Field(None, description="SHA-256 of the newest signed 告知书 (letter.pdf)")


class Decisions(BaseModel):
    decisions: list[Decision]
    cursor: int
    more: bool


class AuditHead(BaseModel):
    audit_id: int
    hash: str


class CheckpointIn(_In):
    payload: Annotated[str, StringConstraints(max_length=2000, pattern=PRINTABLE)] = Field(
        description='canonical JSON {"kind":"checkpoint","audit_id","hash","at","signer"}'
    )
    signature: Annotated[str, StringConstraints(max_length=20_000, pattern=PRINTABLE)] = Field(
        description="detached CMS, base64"
    )


class Checkpoint(BaseModel):
    id: int
    audit_id: int


class LifecycleRecord(BaseModel):
    """A signed after-the-decision record (conclusion, 公示, objection, care setting, letter) for a laptop."""

    cursor: int
    kind: Literal["conclusion", "publicity", "objection", "care_setting", "letter"]
    payload: str = Field(description="canonical JSON, exactly the signed bytes")
    signature: str = Field(description="detached CMS signature, base64")
    attachment: str | None = Field(description="the letter PDF or the handwritten signature PNG, base64")


class LifecycleChanges(BaseModel):
    records: list[LifecycleRecord]
    cursor: int
    more: bool


class PublicityEntry(BaseModel):
    """One line of the 公示名单: what the policy has published, the person's name and ID number masked."""

    uid: str
    name: str = Field(description="masked as 公示 lists show names (张*三)")
    id_number: str = Field(description="masked: region prefix and last four digits")
    district: str | None
    level: int
    eligible: bool
    decided_at: str
    policy_ref: str
    valid_from: str
    valid_until: str
    published_at: str
    publicity_until: str
    objection_until: str


class Publicity(BaseModel):
    entries: list[PublicityEntry]


class CrlTaken(BaseModel):
    taken: bool = Field(description="false: the server holds this CRL or a newer one already")
    number: int | None
