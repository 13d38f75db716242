"""Plain values the store returns: what the service and UI read, never SQLite rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ltc_assess.idnumber import mask
from ltc_assess.workflow import Role, Status


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    disabled: bool
    failed_logins: int
    locked_until: str | None
    qualification_no: str | None = None  # an assessor's qualification certificate number (附录C)
    qualification: str | None = None  # 'assessor' 评估员 / 'expert' 评估专家 (policies.model.QUALIFICATIONS)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(
            row["id"],
            row["username"],
            row["display_name"],
            Role(row["role"]),
            bool(row["disabled"]),
            row["failed_logins"],
            row["locked_until"],
            row.get("qualification_no"),
            row.get("qualification"),
        )


@dataclass(frozen=True, slots=True)
class Subject:
    id: int
    name: str
    sex: str
    birth_date: str
    id_number: str
    insurance_no: str | None
    address: str | None
    district: str | None
    phone: str | None
    contacts: list[dict[str, str]] = field(default_factory=list)
    uid: str = ""

    @property
    def masked_id(self) -> str:
        """The ID number as lists show it."""
        return mask(self.id_number)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Subject:
        return cls(
            row["id"],
            row["name"],
            row["sex"],
            row["birth_date"],
            row["id_number"],
            row["insurance_no"],
            row["address"],
            row["district"],
            row["phone"],
            json.loads(row["contacts_json"] or "[]"),
            row["uid"] or "",
        )


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    author_id: int
    author: str
    item_id: str | None
    body: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Assessment:
    """One assessment version with its answers and stored result."""

    id: int
    subject_id: int
    form_id: str
    form_version: int
    form_sha256: str
    reason: str
    assessment_date: str
    place: str | None
    assessor1_id: int
    assessor2_id: int | None
    informant_name: str | None
    informant_relation: str | None
    status: Status
    current_item: str | None
    score: dict[str, Any] | None
    engine_version: str | None
    proposed_level: int | None
    decided_level: int | None
    decided_by: int | None
    decision_reason: str | None
    version_no: int
    supersedes_id: int | None
    created_by: int
    created_at: str
    updated_at: str
    submitted_at: str | None
    approved_by: int | None
    approved_at: str | None
    exported_at: str | None
    uid: str = ""
    sync_hash: str | None = None  # content hash both installations shared at the last bundle exchange
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def form_ref(self) -> str:
        return f"{self.form_id}@{self.form_version}"

    @property
    def level(self) -> int | None:
        """The level that counts: the supervisor's decision when there is one, else the proposal."""
        return self.decided_level if self.decided_level is not None else self.proposed_level

    def took_part(self, user_id: int) -> bool:
        return user_id in (self.assessor1_id, self.assessor2_id)

    @classmethod
    def from_row(cls, row: dict[str, Any], answers: dict[str, Any]) -> Assessment:
        values = {k: row[k] for k in cls.__dataclass_fields__ if k not in ("answers", "score", "status")}
        return cls(
            **values,
            status=Status(row["status"]),
            score=json.loads(row["score_json"]) if row["score_json"] else None,
            answers=answers,
        )
