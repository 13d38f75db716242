"""Bundles: moving work between laptops and the office as signed files (USB stick, shared folder).

A bundle is a signed package (``exchange.package``) holding ``records.json``: the assessments changed since the
last bundle, with their person, answers, comments, handwritten signatures and signed reports. Records carry
global ids (``uid``), the content hash they have now, and the hash both installations last shared (the base).

Import rules, per assessment:
- unknown here: added;
- same content: nothing (so importing a bundle twice changes nothing);
- ours is still the shared base: theirs is newer, applied;
- theirs is the shared base: ours is newer, kept;
- both changed since the base: a **conflict**, recorded for a person to resolve; nothing is overwritten.
A bundle that fails verification (tampered, foreign root, truncated, oversized) is rejected before anything is
written. Every record that would be written is first replayed by ``replay`` (workflow, roles here, signed
evidence); if any is refused, nothing is written and each refusal is named (``BundleRefused``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ltc_assess import bundle_seal, replay
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.service import AssessmentService, Changes
from ltc_assess.storage import audit
from ltc_assess.storage.db import transaction
from ltc_assess.storage.records import Assessment, User
from ltc_assess.workflow import Role, Status

FORMAT = "ltc-assess-bundle"
MAX_BUNDLE_BYTES = 1 << 30  # what a signed manifest may list in all: the memory an import may take
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
USER_FIELDS = replay.USER_FIELDS


class BundleRefused(AppError):
    """Records of a bundle that may not enter this database; nothing was written."""

    def __init__(self, path: Path, refusals: list[str]) -> None:
        self.refusals = refusals
        super().__init__(ErrorCode.PERMISSION, f"{len(refusals)} record(s) refused, nothing imported", where=str(path))

    def __str__(self) -> str:
        """The summary, then one line per refused record (what every surface shows)."""
        return "\n".join([super().__str__(), *self.refusals])


@dataclass(slots=True)
class ImportSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_ours: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    already_imported: bool = False


def import_changes(service: AssessmentService, summary: ImportSummary) -> Changes:
    """What an import changed, so that open views refresh: the records written, their people, new conflicts."""
    written = [service.store.assessment_by_uid(uid) for uid in (*summary.added, *summary.updated)]
    records = [r for r in written if r is not None]
    return Changes(
        assessment_ids=tuple(r.id for r in records),
        subject_ids=tuple(sorted({r.subject_id for r in records})),
        list_changed=bool(records),
        status_changed=bool(records),
        conflicts_changed=bool(summary.conflicts),
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


def _user_names(service: AssessmentService) -> tuple[dict[int, str], dict[str, int]]:
    users = service.store.users()
    return {u.id: u.username for u in users}, {u.username: u.id for u in users}


def export_bundle(
    service: AssessmentService,
    actor: User,
    password: str,
    out: Path,
    everything: bool = False,
    limit: int | None = None,
) -> dict[str, Any]:
    """Write a bundle of every assessment new or changed since a bundle last carried it (all, with ``everything``;
    the oldest ``limit`` of them, with ``limit``: the next bundle carries the rest), encrypted to the agency (one
    file, 0600)."""
    from ltc_assess import attestation
    from ltc_assess.exchange.package import write_package
    from ltc_assess.signing.cms import sign_detached
    from ltc_assess.signing.keys import KeyPair, load_key

    actor = service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
    stored = service.store.user_key(actor.id)
    if stored is None:
        raise AppError(ErrorCode.SIGNATURE, f"{actor.username} has no signing certificate to sign the bundle")
    pair = KeyPair(*stored)
    load_key(pair.key_pem, password)
    names, _ids = _user_names(service)
    records: list[dict[str, Any]] = []
    for row in sorted(service.store.list_assessments(limit=1_000_000), key=lambda r: r["id"]):
        if limit is not None and len(records) >= limit:
            break
        record = service.assessment(row["id"])
        current = content_hash(service, record)
        if not everything and current == record.sync_hash:
            continue  # unchanged since the last bundle that carried it
        subject = service.subject(record.subject_id)
        records.append(
            {
                "uid": record.uid,
                "content_hash": current,
                "base_hash": record.sync_hash,
                "subject": {
                    k: getattr(subject, k)
                    for k in (
                        "uid",
                        "name",
                        "sex",
                        "birth_date",
                        "id_number",
                        "insurance_no",
                        "address",
                        "district",
                        "phone",
                        "contacts",
                    )
                },
                "fields": {
                    k: getattr(record, k, None) if k != "score_json" else json.dumps(record.score, ensure_ascii=False)
                    for k in RECORD_FIELDS
                }
                | {"status": record.status.value},
                "users": {k: names.get(getattr(record, k) or -1) for k in USER_FIELDS},
                "supersedes": service.assessment(record.supersedes_id).uid if record.supersedes_id else None,
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
                    for r in service.store.reports(record.id)
                ],
                "evidence": [
                    {"kind": e["kind"], "payload": e["payload"], "signature": base64.b64encode(e["signature"]).decode()}
                    for e in service.store.signed_records(record.id)
                ],
            }
        )
    bundle_id = uuid.uuid4().hex
    at = service.now()
    with transaction(service.db):  # the bundle carries the audit chain's signed head (tamper evidence)
        checkpoint = attestation.sign_checkpoint(service, actor.id, password, at)
    meta = {
        "format": FORMAT,
        "format_version": 1,
        "bundle_id": bundle_id,
        "created_at": at,
        "created_by": actor.username,
        "counts": {"assessments": len(records)},
        "audit_checkpoint": checkpoint,
    }
    body = json.dumps(records, ensure_ascii=False, sort_keys=True).encode("utf-8")
    with bundle_seal.private_dir() as folder:
        manifest = write_package(
            folder / "bundle.zip",
            {"records.json": body},
            meta,
            lambda data: sign_detached(data, pair, password, [service.root_certificate()]),
        )
        bundle_seal.seal(service, folder / "bundle.zip", out)
    with transaction(service.db):
        for rec in records:
            local = service.store.assessment_by_uid(rec["uid"])
            if local is not None:
                service.store.set_sync_hash(local.id, rec["content_hash"])
        service.store.log_bundle(bundle_id, "export", at, actor.id, {"assessments": [r["uid"] for r in records]})
        audit.append(
            service.db,
            at=at,
            actor_id=actor.id,
            action="bundle.export",
            entity="bundle",
            entity_id=bundle_id,
            new={"assessments": len(records), "file": str(out)},
        )
    return manifest


def import_bundle(service: AssessmentService, actor: User, path: Path) -> ImportSummary:
    """Verify a bundle and replay its records; all or nothing (``BundleRefused`` names every refused record)."""
    from ltc_assess.exchange.package import verify_package
    from ltc_assess.signing.cms import detached_signer
    from ltc_assess.signing.keys import subject_fields

    actor = service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
    root = service.root_certificate()
    signed_by: list[bytes] = []

    def check(data: bytes, signature: bytes) -> str:
        signed_by.append(detached_signer(data, signature, [root]))
        return subject_fields(signed_by[-1])["username"]

    with bundle_seal.opened(service, path, MAX_BUNDLE_BYTES) as inner:
        package = verify_package(inner, check, MAX_BUNDLE_BYTES)
    meta = package.manifest
    if (
        meta.get("format") != FORMAT
        or "records.json" not in package.files
        or not isinstance(meta.get("bundle_id"), str)
    ):
        raise AppError(ErrorCode.INTEGRITY, f"{path}: not an ltc-assess bundle")
    signer = replay.bundle_signer(service, signed_by[-1])
    if service.store.bundle_seen(meta["bundle_id"]):
        return ImportSummary(already_imported=True)
    records = replay.parse_records(package.files["records.json"], str(path))
    their_head = {"their_audit_head": _their_head(meta)}
    return apply_records(service, actor, records, lambda _rec: signer, meta["bundle_id"], path, their_head)


def apply_records(
    service: AssessmentService,
    actor: User,
    records: list[dict[str, Any]],
    signer_of: Callable[[dict[str, Any]], User],
    source_id: str,
    where: Path | str,
    audit_extra: Mapping[str, Any] = MappingProxyType({}),
    partial: bool = False,
) -> ImportSummary:
    """Replay parsed records (from a bundle file or a server's sync answer) made by ``signer_of(record)``; all or
    nothing (``BundleRefused`` names every refused record), or with ``partial`` (a sync pull) every acceptable
    record, the refused ones named in ``summary.refused``: one bad record must not hold back the others."""
    records = sorted(records, key=lambda r: r["supersedes"] is not None)  # originals before corrections
    summary = ImportSummary()
    plans = {rec["uid"]: _plan(service, rec) for rec in records}

    def why(rec: Mapping[str, Any], in_play: list[Mapping[str, Any]]) -> str | None:
        outcome, local = plans[rec["uid"]]
        if outcome not in ("write", "conflict"):
            return None
        return replay.refusal(service, rec, local, signer_of(rec), in_play)  # type: ignore[arg-type]

    refused = replay.screen(records, why)  # type: ignore[arg-type]
    summary.refused = [f"assessment {uid}: {reason}" for uid, reason in refused.items()]
    if refused and not partial:
        raise BundleRefused(Path(where), summary.refused)
    records = [r for r in records if r["uid"] not in refused]
    if not records and refused:
        return summary
    _names, ids = _user_names(service)
    at = service.now()
    with transaction(service.db):
        for rec in records:
            outcome, local = plans[rec["uid"]]
            _apply(service, actor, rec, outcome, local, ids, source_id, at, summary)
        service.store.log_bundle(source_id, "import", at, actor.id, _summary_dict(summary))
        audit.append(
            service.db,
            at=at,
            actor_id=actor.id,
            action="bundle.import",
            entity="bundle",
            entity_id=source_id,
            new=_summary_dict(summary)
            | {"signed_by": ", ".join(sorted({signer_of(r).username for r in records}))}
            | dict(audit_extra),
        )
    return summary


def _their_head(meta: dict[str, Any]) -> dict[str, str] | None:
    """The sender's signed audit checkpoint, kept in our chain: their log cut short later would no longer match."""
    checkpoint = meta.get("audit_checkpoint")
    if not isinstance(checkpoint, dict) or not all(
        isinstance(checkpoint.get(k), str) for k in ("payload", "signature")
    ):
        return None
    return {"payload": checkpoint["payload"], "signature": checkpoint["signature"]}


def _summary_dict(summary: ImportSummary) -> dict[str, Any]:
    return {
        "added": summary.added,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "kept_ours": summary.kept_ours,
        "conflicts": summary.conflicts,
    } | ({"refused": summary.refused} if summary.refused else {})


def _plan(service: AssessmentService, rec: dict[str, Any]) -> tuple[str, Assessment | None]:
    """What importing ``rec`` does here: unchanged, kept (ours is newer), conflict, or write."""
    local = service.store.assessment_by_uid(rec["uid"])
    return outcome(rec, local, content_hash(service, local) if local is not None else None), local


def outcome(rec: Mapping[str, Any], local: Assessment | None, ours: str | None) -> str:
    """unchanged, kept (ours is newer), conflict, or write: the same decision wherever a record arrives."""
    if local is None:
        return "write"
    theirs, base = rec["content_hash"], rec["base_hash"]
    if ours == theirs:
        return "unchanged"
    if theirs in (local.sync_hash, base):  # they did not change it since the shared base: ours is newer
        return "kept"
    if ours != base or local.status in (Status.APPROVED, Status.SUPERSEDED):  # both changed
        return "conflict"
    return "write"


def _apply(
    service: AssessmentService,
    actor: User,
    rec: dict[str, Any],
    outcome: str,
    local: Assessment | None,
    ids: dict[str, int],
    bundle_id: str,
    at: str,
    summary: ImportSummary,
) -> None:
    if outcome == "unchanged":
        summary.unchanged.append(rec["uid"])
        service.store.set_sync_hash(local.id, rec["content_hash"])  # type: ignore[union-attr]
    elif outcome == "kept":
        summary.kept_ours.append(rec["uid"])
    elif outcome == "conflict":
        service.store.add_conflict(rec["uid"], bundle_id, at, rec)
        summary.conflicts.append(rec["uid"])
    else:
        _write(service, actor, rec, ids, local, at)
        (summary.added if local is None else summary.updated).append(rec["uid"])


def _write(
    service: AssessmentService, actor: User, rec: dict[str, Any], ids: dict[str, int], local: Assessment | None, at: str
) -> None:
    """Make the local copy of ``rec`` exactly the incoming record (inserting it when new)."""
    store = service.store
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


def resolve_conflict(service: AssessmentService, actor: User, conflict_id: int, take_theirs: bool) -> Changes:
    """Close a conflict: keep our version, or replace it with the incoming one (replayed again; not for approved
    records)."""
    actor = service.active_actor(actor, Role.SUPERVISOR)
    conflict = service.store.conflict(conflict_id)
    if conflict is None:
        raise AppError(ErrorCode.NOT_FOUND, f"no open conflict {conflict_id}")
    incoming = json.loads(conflict["incoming_json"])
    incoming = {"reports": [], "evidence": []} | incoming  # conflicts stored before evidence travelled
    _names, ids = _user_names(service)
    at = service.now()
    with transaction(service.db):
        if take_theirs:
            local = service.store.assessment_by_uid(conflict["assessment_uid"])
            if local is not None and local.status in (Status.APPROVED, Status.SUPERSEDED):
                raise AppError(ErrorCode.LOCKED, "an approved assessment cannot be replaced; amend it instead")
            why = replay.refusal(service, incoming, local, actor, [incoming])
            if why:
                raise AppError(ErrorCode.PERMISSION, f"assessment {conflict['assessment_uid']}: {why}")
            _write(service, actor, incoming, ids, local, at)
        service.store.close_conflict(conflict_id, at, "theirs" if take_theirs else "ours")
        audit.append(
            service.db,
            at=at,
            actor_id=actor.id,
            action="bundle.resolve",
            entity="assessment",
            entity_id=conflict["assessment_uid"],
            new={"kept": "theirs" if take_theirs else "ours"},
        )
    summary = ImportSummary(updated=[conflict["assessment_uid"]] if take_theirs else [])
    return replace(import_changes(service, summary), conflicts_changed=True)
