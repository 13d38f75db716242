"""The server database as a ``record_source.RecordSource``: what ``replay`` needs to judge an incoming record."""

from __future__ import annotations

from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.lifecycle_records import fact_id, slot, unsigned
from ltc_assess.record_source import RecordSource
from ltc_assess.schema.model import FormDef
from ltc_assess.schema.registry import get_form
from ltc_assess.storage.pg import lifecycle
from ltc_assess.storage.pg.repository import ROOT_CERT, PgStore
from ltc_assess.storage.records import Assessment, User


class ServerSource(RecordSource):
    def __init__(self, store: PgStore) -> None:
        self.store = store

    def _records(self) -> PgStore:
        return self.store

    def root_certificate(self) -> bytes:
        cert = self.store.setting(ROOT_CERT)
        if cert is None:
            raise AppError(ErrorCode.NOT_FOUND, "the server has no agency root yet (ltc-assess server enrol)")
        return cert.encode()

    def form(self, ref: str) -> FormDef:
        return get_form(ref)


class ServerFacts:
    """The server database as a ``lifecycle_records.LifecycleSource`` (and where accepted records go)."""

    def __init__(self, store: PgStore) -> None:
        self.store = store

    def users(self) -> list[User]:
        return self.store.users()

    def revoked_at(self, cert_pem: bytes) -> str | None:
        return self.store.revoked_at(cert_pem)

    def assessment_by_uid(self, uid: str) -> Assessment | None:
        return self.store.assessment_by_uid(uid)

    def held(self, where: str) -> dict[str, Any] | None:
        found = lifecycle.payload(self.store, where)
        return None if found is None else unsigned(found)

    def write(self, item: dict[str, Any], payload: dict[str, Any], signer: User) -> None:
        row = {
            "fact": fact_id(payload),
            "slot": slot(payload),
            "kind": payload["kind"],
            "assessment_uid": payload["assessment"],
            "payload": item["payload"],  # exactly the signed text
            "signature": item["signature"],
            "attachment": item["attachment"],
            "signer": signer.username,
        }
        lifecycle.put(self.store, row)
        self.store.audit(signer.username, f"lifecycle.{payload['kind']}", "assessment", payload["assessment"],
                         {"fact": row["fact"]})  # fmt: skip
