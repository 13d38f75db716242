"""The server database as a ``record_source.RecordSource`` (what ``replay`` needs to judge an incoming record)
and as the ``service.export.ApprovedRecords`` an insurer package is built from."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from ltc_assess.errors import AppError, ErrorCode, LtcError
from ltc_assess.i18n import _
from ltc_assess.lifecycle_records import PUBLICITY_KEYS, fact_id, recheck, slot, unsigned
from ltc_assess.record_source import RecordSource
from ltc_assess.schema.model import FormDef
from ltc_assess.schema.registry import get_form
from ltc_assess.server.review_links import links
from ltc_assess.service.export import Approved, in_period
from ltc_assess.storage.pg import lifecycle, visits
from ltc_assess.storage.pg.repository import ROOT_CERT, PgStore
from ltc_assess.storage.records import Assessment, Subject, User


class ServerSource(RecordSource):
    def __init__(self, store: PgStore, stamp: Callable[[bytes], bytes] | None = None) -> None:
        """``stamp``: the exporting desktop's document timestamp for a report's first export (None: none)."""
        self.store, self.stamp = store, stamp

    def _records(self) -> PgStore:
        return self.store

    def root_certificate(self) -> bytes:
        cert = self.store.setting(ROOT_CERT)
        if cert is None:
            raise AppError(ErrorCode.NOT_FOUND, _("服务器尚无机构根证书（ltc-assess server enrol）"))
        return cert.encode()

    def form(self, ref: str) -> FormDef:
        return get_form(ref)

    def approved(self, date_from: str, date_to: str) -> Iterator[Approved]:
        """The server's approved records of the period, each only after it matched its signed evidence (the
        rule ``server check`` and every intake apply): a record edited in PostgreSQL is refused, named."""
        from ltc_assess.replay import check_evidence

        rows = {r["id"]: r for r in self.store.approved_rows()}
        for aid in in_period(list(rows.values()), date_from, date_to):
            row = rows[aid]
            uid = row["uid"]
            where = _("服务器评估 {id}（{uid}）").format(id=aid, uid=uid)
            held = self.store.record(uid)
            assert held is not None  # listed just now, in this transaction
            rec = held["record"]
            if (row["column_status"], rec["fields"]["status"]) != ("approved", "approved"):
                said = _("{where}：状态列为 {column}，其记录为 {status}；未导出（见 ltc-assess server check）").format(
                    where=where, column=repr(row["column_status"]), status=repr(rec["fields"]["status"])
                )
                raise AppError(ErrorCode.INTEGRITY, said)
            try:
                check_evidence(self, rec, None)
            except LtcError as exc:
                raise _not_exported(where, exc) from None
            record = self.store.assessment_by_uid(uid)
            assert record is not None
            person = rec["subject"]  # the person as signed (name and number are in the evidence), not the table
            subject = Subject(
                record.subject_id, person["name"], person["sex"], person["birth_date"], person["id_number"],
                person.get("insurance_no"), person.get("address"), person.get("district"), person.get("phone"),
                person.get("contacts") or [], person["uid"],
            )  # fmt: skip
            conclusion = self._conclusion(uid, where)  # checked before the report's export copy is kept
            yield Approved(record, subject, self._export_copy(aid), conclusion)

    def _conclusion(self, uid: str, where: str) -> dict[str, object] | None:
        """The conclusion as the office's package carries it (``conclusions.view``), from the signed conclusion
        and 公示 records held here, each judged again first: one edited in PostgreSQL is refused, named; which
        复评 confirmed or superseded it, from their signed approvals (``review_links``)."""
        from ltc_assess.conclusions import view

        root, facts, held = self.root_certificate(), ServerFacts(self.store), {}
        for row in lifecycle.every(self.store, uid):
            if row["kind"] not in ("conclusion", "publicity"):
                continue
            try:
                recheck(facts, root, row)
            except LtcError as exc:
                raise _not_exported(where, exc) from None
            held[row["kind"]] = unsigned(json.loads(row["payload"]))
        if "conclusion" not in held:
            return None
        published = held.get("publicity", dict.fromkeys(PUBLICITY_KEYS))
        found = links(self.store, root, uid, held["conclusion"]["level"])  # the 复评 as their approvals signed
        by = {k: None if v is None else v["id"] for k, v in found.items()}  # ids of this package, as the office's
        return view(held["conclusion"] | published | by)

    def _export_copy(self, aid: int) -> bytes:
        """The report as it leaves, as on a desktop: its first export adds the document timestamp, kept as a
        report revision ('export', vouched for by the signed report it extends), so exporting again gives the
        same file."""
        latest = self.store.reports(aid)[-1]
        pdf = bytes(latest["pdf"])
        if latest["signer_role"] == "export" or self.stamp is None:
            return pdf
        stamped = self.stamp(pdf)
        self.store.add_report(aid, int(latest["revision"]) + 1, "export", stamped)
        return stamped


def _not_exported(where: str, exc: LtcError) -> AppError:
    """What failed a check of a record being exported, named, with the command that finds every such record."""
    why = _("{where}：{reason}；未导出（见 ltc-assess server check）").format(where=where, reason=exc.message)
    return AppError(exc.code, why)


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

    def on_site(self, uid: str) -> set[str]:
        return visits.on_site(self.store, uid)

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
        if not lifecycle.put(self.store, row):
            return  # held already (the same fact, pushed twice at once): one record
        self.store.audit(signer.username, f"lifecycle.{payload['kind']}", "assessment", payload["assessment"],
                         {"fact": row["fact"]})  # fmt: skip
