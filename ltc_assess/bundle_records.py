"""An assessment in bundle form: built from the local record (export), written over the local copy (import),
and the content hashes two installations compare to see who changed what since they last met."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ltc_assess import visit_evidence
from ltc_assess.incoming import USER_FIELDS
from ltc_assess.replay import signed_visit
from ltc_assess.service import AssessmentService
from ltc_assess.storage.lifecycle_store import LifecycleStore
from ltc_assess.storage.records import Assessment, User
from ltc_assess.storage.store import Store
from ltc_assess.workflow import Status

RECORD_FIELDS = (
    "form_id",
    "form_version",
    "form_sha256",
    "reason",
    "assessment_date",
    "place",
    "informant_name",
    "informant_relation",
    "status",
    "current_item",
    "score_json",
    "engine_version",
    "proposed_level",
    "decided_level",
    "decision_reason",
    "version_no",
    "created_at",
    "updated_at",
    "submitted_at",
    "approved_at",
    "exported_at",
)
SUBJECT_FIELDS = (
    "uid", "name", "sex", "birth_date", "id_number", "insurance_no", "address", "district", "phone", "contacts"
)


def content_hash(service: AssessmentService, record: Assessment) -> str:
    """What two installations compare: everything a person could have changed in the record."""
    comments = [(c.author, c.item_id, c.body, c.created_at) for c in service.comments(record.id)]
    signatures = {role: hashlib.sha256(png).hexdigest() for role, png in service.signatures(record.id).items()}
    # the score follows from the answers; the insurer-export flag is local bookkeeping
    fields = {k: getattr(record, k, None) for k in RECORD_FIELDS if k not in ("score_json", "exported_at")}
    fields["status"] = record.status.value
    fields["supersedes"] = service.assessment(record.supersedes_id).uid if record.supersedes_id else None
    return _digest(fields, record.answers, comments, signatures)


def record_hash(rec: Mapping[str, Any], display_names: Mapping[str, str]) -> str:
    """``content_hash`` of a record in bundle form (how the office server holds records)."""
    fields = {k: rec["fields"][k] for k in RECORD_FIELDS if k not in ("score_json", "exported_at")}
    fields["supersedes"] = rec["supersedes"]
    comments = [(display_names.get(c["author"]), c["item_id"], c["body"], c["created_at"]) for c in rec["comments"]]
    signatures = {role: hashlib.sha256(base64.b64decode(p)).hexdigest() for role, p in rec["signatures"].items()}
    return _digest(fields, rec["answers"], comments, signatures)


def _digest(fields: dict[str, Any], answers: Any, comments: list[Any], signatures: dict[str, str]) -> str:
    payload = json.dumps([fields, answers, comments, signatures], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def bundle_record(
    service: AssessmentService, record: Assessment, current: str, names: Mapping[int, str]
) -> dict[str, Any]:
    """``record`` as a bundle carries it (``current`` is its ``content_hash``, ``names`` usernames by id)."""
    subject = service.subject(record.subject_id)
    return {
        "uid": record.uid,
        "content_hash": current,
        "base_hash": record.sync_hash,
        "subject": {k: getattr(subject, k) for k in SUBJECT_FIELDS},
        "fields": {
            k: getattr(record, k, None) if k != "score_json" else json.dumps(record.score, ensure_ascii=False)
            for k in RECORD_FIELDS
        }
        | {"status": record.status.value},
        "users": {k: names.get(getattr(record, k) or -1) for k in USER_FIELDS},
        "supersedes": service.assessment(record.supersedes_id).uid if record.supersedes_id else None,
        "reviews": service.after_decision.reviewed_uid(record.id),
        "answers": record.answers,
        "comments": [
            {"author": names.get(c.author_id), "item_id": c.item_id, "body": c.body, "created_at": c.created_at}
            for c in service.comments(record.id)
        ],
        "signatures": {r: base64.b64encode(p).decode() for r, p in service.signatures(record.id).items()},
        "reports": [
            {
                "revision": r["revision"],
                "signer_role": r["signer_role"],
                "sha256": r["sha256"],
                "created_at": r["created_at"],
                "pdf": base64.b64encode(bytes(r["pdf"])).decode(),
            }
            for r in service.queries.report_revisions(record.id)
        ],
        "evidence": [
            {"kind": e["kind"], "payload": e["payload"], "signature": base64.b64encode(e["signature"]).decode()}
            for e in service.queries.signed_records(record.id)
        ],
        "visit": visit_evidence.canonical(
            service.after_decision.visit_people(record.id), service.after_decision.visit_checks(record.id), names
        ),
    }


def write_record(
    store: Store, actor: User, rec: dict[str, Any], ids: dict[str, int], local: Assessment | None, at: str
) -> None:
    """Make the local copy of ``rec`` exactly the incoming record (inserting it when new), inside the caller's
    unit of work (``store`` is its ``work.store``)."""
    subject = store.subject_by_uid_or_number(rec["subject"]["uid"], rec["subject"]["id_number"])
    if subject is None:
        subject = store.add_subject(dict(rec["subject"]), at)
    fields = {k: v for k, v in rec["fields"].items() if k != "status"}
    fields |= {k: ids.get(rec["users"][k]) if rec["users"][k] else None for k in USER_FIELDS}
    fields["subject_id"] = subject.id
    fields["supersedes_id"] = store.assessment_by_uid(rec["supersedes"]).id if rec["supersedes"] else None  # type: ignore[union-attr]
    signatures = {role: base64.b64decode(p) for role, p in rec["signatures"].items()}
    if local is None:
        aid = store.create_assessment(fields | {"uid": rec["uid"], "status": Status.DRAFT.value})
    else:
        aid = local.id
        store.update_assessment(aid, status=Status.DRAFT.value)
    store.replace_children(aid, rec["answers"], signatures, actor.id, at)
    store.replace_comments(
        aid,
        [
            {"author_id": ids[c["author"]], "item_id": c["item_id"], "body": c["body"], "created_at": c["created_at"]}
            for c in rec["comments"]
        ],
    )
    visit = signed_visit(rec)
    if visit is not None:  # while the record is a draft here (the visit of a submitted record is locked)
        LifecycleStore(store.db).replace_visit(aid, visit, ids)
    have = {r["revision"] for r in store.reports(aid)}
    for r in rec["reports"]:
        if r["revision"] not in have:
            store.insert_report(
                aid, r["revision"], r["signer_role"], base64.b64decode(r["pdf"]), r["sha256"], r["created_at"]
            )
    for e in rec["evidence"]:
        store.add_signed_record(aid, e["kind"], e["payload"], base64.b64decode(e["signature"]), at)
    store.update_assessment(aid, **fields, status=rec["fields"]["status"], sync_hash=rec["content_hash"])
    if rec["fields"]["status"] == Status.APPROVED and fields["supersedes_id"]:
        store.update_assessment(fields["supersedes_id"], status=Status.SUPERSEDED.value)
