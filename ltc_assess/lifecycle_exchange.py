"""The desktop's side of the signed lifecycle records (``lifecycle_records``): what a bundle carries out, and
writing what ``lifecycle_records.judge`` accepted into this database's lifecycle tables.

Facts are made by the lifecycle use cases (approve, 公示, objection, care setting) without a password at hand;
they are signed when their maker's role exports them (a bundle or a sync is signed with the user's password
anyway). A signed letter is signed when it is made. Everything here runs inside the caller's unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from ltc_assess import evidence
from ltc_assess.lifecycle_confirmation import confirmation_fact
from ltc_assess.lifecycle_records import (
    KINDS,
    care_fact,
    conclusion_fact,
    fact_id,
    letter_fact,
    objection_fact,
    publicity_fact,
    slot,
    unsigned,
    wire,
)
from ltc_assess.storage.lifecycle_store import LifecycleStore
from ltc_assess.storage.records import Assessment, User
from ltc_assess.storage.store import Store

LIFECYCLE_FILE = "lifecycle.json"


class DesktopFacts:
    """This database as a ``lifecycle_records.LifecycleSource``: a slot holds its signed record, or else the
    fact the lifecycle tables hold (made here, not signed yet)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lstore = LifecycleStore(store.db)

    def users(self) -> list[User]:
        return self.store.users()

    def revoked_at(self, cert_pem: bytes) -> str | None:
        return self.store.revoked_at(cert_pem)

    def assessment_by_uid(self, uid: str) -> Assessment | None:
        return self.store.assessment_by_uid(uid)

    def held(self, where: str) -> dict[str, Any] | None:
        row = self.lstore.lifecycle_record(where)
        if row is not None:
            return unsigned(json.loads(row["payload"]))
        kind, uid, *extra = where.split(":", 2)
        record = self.store.assessment_by_uid(uid)
        if record is None:
            return None
        return next((f for f, _att in self._facts_of(record) if slot(f) == where), None)

    def on_site(self, uid: str) -> set[str]:
        from ltc_assess.conclusions import visited

        record = self.store.assessment_by_uid(uid)
        if record is None:
            return set()
        names = {u.id: u.username for u in self.store.users()}
        return {names[p["user_id"]] for p in self.lstore.visit_people(visited(self.store, record))}

    def _facts_of(self, record: Assessment) -> Iterator[tuple[dict[str, Any], bytes | None]]:
        names = {u.id: u.username for u in self.store.users()}
        for row in self.lstore.confirmations(record.id):
            yield confirmation_fact(record.uid, row, names[row["user_id"]]), None
        conclusion = self.lstore.conclusion(record.id)
        if conclusion is None:
            return
        yield conclusion_fact(record.uid, conclusion), None
        publicity = publicity_fact(record.uid, conclusion)
        if publicity is not None:
            yield publicity, None
        for objection in self.lstore.objections(record.id):
            yield objection_fact(record.uid, objection), None
        choice = self.lstore.care_choice(record.id)
        if choice is not None:
            yield care_fact(record.uid, choice), bytes(choice["signature_png"])

    def unsigned_facts(self, actor: User) -> Iterator[tuple[dict[str, Any], bytes | None]]:
        """Facts made here that no signed record holds yet and ``actor`` may sign (by role; a confirmation
        only by its own expert)."""
        aids = {r["assessment_id"] for r in self.lstore.conclusions()} | self.lstore.confirmed_assessments()
        for aid in sorted(aids):
            for fact, attachment in self._facts_of(self.store.assessment(aid)):
                if fact["kind"] == "confirmation" and fact["expert"] != actor.username:
                    continue
                if actor.role in KINDS[fact["kind"]] and self.lstore.lifecycle_record(slot(fact)) is None:
                    yield fact, attachment

    def keep(self, payload: dict[str, Any], text: str, signature: bytes, attachment: bytes | None, at: str,
             sent: int) -> None:  # fmt: skip
        """Keep the signed record of ``payload`` (``text``: exactly the signed bytes)."""
        self.lstore.add_lifecycle_record(
            {
                "fact": fact_id(payload),
                "slot": slot(payload),
                "kind": payload["kind"],
                "assessment_uid": payload["assessment"],
                "payload": text,
                "signature": signature,
                "attachment": attachment,
                "created_at": at,
                "sent": sent,
            }
        )

    def write(self, item: dict[str, Any], payload: dict[str, Any], signer: User, at: str) -> None:
        """An accepted record from elsewhere: into the lifecycle tables, and kept as signed (already sent)."""
        record = self.store.assessment_by_uid(payload["assessment"])
        assert record is not None  # judged: approved here
        kind, aid = payload["kind"], record.id
        if kind == "confirmation":
            self.lstore.confirm(aid, signer.id, payload["level"], payload["confirmed_at"])
        elif kind == "conclusion":
            self.lstore.add_conclusion({"assessment_id": aid, **{k: payload[k] for k in CONCLUSION_FIELDS}})
        elif kind == "publicity":
            self.lstore.update_conclusion(aid, **{k: payload[k] for k in PUBLICITY_FIELDS})
        elif kind == "objection":
            fields = {k: payload[k] for k in ("lodged_at", "lodged_by", "reason")}
            self.lstore.add_objection({"assessment_id": aid, **fields, "recorded_by": signer.id})
        elif kind == "care_setting":
            fields = {k: payload[k] for k in ("setting", "signer_name", "signer_relation", "confirmed_at")}
            self.lstore.add_care_choice(
                {"assessment_id": aid, **fields, "signature_png": item["attachment"], "recorded_by": signer.id}
            )
        self.keep(payload, item["payload"], item["signature"], item["attachment"], at, sent=1)


CONCLUSION_FIELDS = (
    "policy_ref", "policy_sha256", "level", "eligible", "decided_at", "valid_from", "valid_until", "reapply_after"
)  # fmt: skip
PUBLICITY_FIELDS = ("published_at", "publicity_until", "objection_until")


def outgoing(
    store: Store, actor: User, sign: Callable[[bytes], bytes], at: str, everything: bool, limit: int | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Sign the facts ``actor``'s role may make that are not signed yet; return what a bundle carries (unsent
    records, or all with ``everything``; the first ``limit`` of them, kinds in dependency order so that a 公示
    never travels before its conclusion) and their fact ids (marked sent when the bundle is written)."""
    facts = DesktopFacts(store)
    for fact, attachment in list(facts.unsigned_facts(actor)):
        payload = fact | {"signer": actor.username}
        text = evidence.canonical(payload)
        facts.keep(payload, text, sign(text.encode("utf-8")), attachment, at, sent=0)
    rows = facts.lstore.lifecycle_records(unsent_only=not everything)
    if limit is not None:
        rows = sorted(rows, key=lambda r: list(KINDS).index(r["kind"]))[:limit]
    items = [wire(r["kind"], r["payload"], bytes(r["signature"]), _blob(r["attachment"])) for r in rows]
    return items, [r["fact"] for r in rows]


def pending(store: Store, actor: User | None) -> bool:
    """Whether a bundle would carry lifecycle records: signed ones not sent yet (any user's bundle carries
    them), or facts ``actor`` may sign."""
    facts = DesktopFacts(store)
    if facts.lstore.lifecycle_records(unsent_only=True):
        return True
    return actor is not None and any(facts.unsigned_facts(actor))


def keep_letter(store: Store, uid: str, pdf: bytes, signer: str, sign: Callable[[bytes], bytes], at: str) -> None:
    """A 告知书 just signed by ``signer``: kept as a signed record, so that it travels to the office server."""
    payload = letter_fact(uid, pdf) | {"signer": signer}
    text = evidence.canonical(payload)
    DesktopFacts(store).keep(payload, text, sign(text.encode("utf-8")), pdf, at, sent=0)


def _blob(value: Any) -> bytes | None:
    return None if value is None else bytes(value)
