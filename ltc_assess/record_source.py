"""What the replay rules read about the database records arrive in: the seam between ``replay`` and a store.

The desktop's ``AssessmentService`` (SQLite) and the office server's PostgreSQL repository both offer exactly
this, so one set of rules (``replay``) decides what may enter either database.
"""

from __future__ import annotations

from typing import Any, Protocol

from ltc_assess.schema.model import FormDef
from ltc_assess.storage.records import Assessment, Subject, User


class RecordStore(Protocol):
    """The reads replay makes: people and roles here, the local copy of a record and its evidence."""

    def users(self) -> list[User]: ...

    def assessment_by_uid(self, uid: str) -> Assessment | None: ...

    def subject_by_uid_or_number(self, uid: str, id_number: str) -> Subject | None: ...

    def reports(self, assessment_id: int) -> list[dict[str, Any]]: ...

    def signed_records(self, assessment_id: int) -> list[dict[str, Any]]: ...

    def list_assessments(self, *, subject_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]: ...

    def revoked_at(self, cert_pem: bytes) -> str | None: ...


class RecordSource(Protocol):
    """A receiving database: its store, its agency root (the only trust anchor) and its installed forms."""

    @property
    def store(self) -> RecordStore: ...

    def root_certificate(self) -> bytes: ...

    def form(self, ref: str) -> FormDef: ...
