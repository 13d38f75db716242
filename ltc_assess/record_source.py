"""What the replay rules read about the database records arrive in: the seam between ``replay`` and a store.

The desktop's service (``service.receiving``, over SQLite) and the office server's PostgreSQL repository
(``server.source``) both are a ``RecordSource``, so one set of rules (``replay``) decides what may enter either
database; each hands the reads on to its own store, which the rules never see.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol

from ltc_assess.policies import Policy, get_policy
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

    def setting(self, key: str) -> str | None: ...


class RecordSource(ABC):
    """A receiving database: the reads of its store, its agency root (the only trust anchor), its forms."""

    @abstractmethod
    def _records(self) -> RecordStore:
        """The store the reads go to (kept out of the rules' reach: they see only the reads below)."""

    @abstractmethod
    def root_certificate(self) -> bytes: ...

    @abstractmethod
    def form(self, ref: str) -> FormDef: ...

    def users(self) -> list[User]:
        return self._records().users()

    def assessment_by_uid(self, uid: str) -> Assessment | None:
        return self._records().assessment_by_uid(uid)

    def subject_by_uid_or_number(self, uid: str, id_number: str) -> Subject | None:
        return self._records().subject_by_uid_or_number(uid, id_number)

    def reports(self, assessment_id: int) -> list[dict[str, Any]]:
        return self._records().reports(assessment_id)

    def signed_records(self, assessment_id: int) -> list[dict[str, Any]]:
        return self._records().signed_records(assessment_id)

    def list_assessments(self, *, subject_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
        return self._records().list_assessments(subject_id=subject_id, limit=limit)

    def revoked_at(self, cert_pem: bytes) -> str | None:
        return self._records().revoked_at(cert_pem)

    def city_policy(self) -> Policy | None:
        """The receiving installation's city policy (None: none chosen), whose on-site protocol an incoming
        submission's signed visit must satisfy."""
        from ltc_assess.conclusions import POLICY_SETTING

        city = self._records().setting(POLICY_SETTING)
        return get_policy(city) if city else None
