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

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ltc_assess import bundle_seal, lifecycle_exchange, replay
from ltc_assess.bundle_records import bundle_record, content_hash, write_record
from ltc_assess.conclusions import settle_travelled_review
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.incoming import parse_lifecycle, parse_records
from ltc_assess.lifecycle_records import accept
from ltc_assess.service import AssessmentService, Changes
from ltc_assess.storage.lifecycle_store import LifecycleStore
from ltc_assess.storage.records import Assessment, User
from ltc_assess.storage.work import Work
from ltc_assess.workflow import Action, Role, Status, apply

if TYPE_CHECKING:
    from ltc_assess.exchange.package import VerifiedPackage
    from ltc_assess.signing.keys import KeyPair

FORMAT = "ltc-assess-bundle"
CRL_FILE = "crl.pem"  # the sender's current CRL (signed by the agency root); taken only if newer than ours
MAX_BUNDLE_BYTES = 1 << 30  # what a signed manifest may list in all: the memory an import may take


class BundleRefused(AppError):
    """Records of a bundle that may not enter this database; nothing was written."""

    def __init__(self, path: Path, refusals: list[str]) -> None:
        self.refusals = refusals
        message = _("已拒绝 {count} 条记录，未导入任何内容").format(count=len(refusals))
        super().__init__(ErrorCode.PERMISSION, message, where=str(path))

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
    lifecycle: list[str] = field(default_factory=list)  # slots of the signed lifecycle records written
    already_imported: bool = False


def import_changes(service: AssessmentService, summary: ImportSummary) -> Changes:
    """What an import changed, so that open views refresh: the records written, their people, new conflicts."""
    lifecycle_uids = [where.split(":")[1] for where in summary.lifecycle]
    written = [service.queries.assessment_by_uid(uid) for uid in (*summary.added, *summary.updated, *lifecycle_uids)]
    records = list({r.id: r for r in written if r is not None}.values())
    return Changes(
        assessment_ids=tuple(r.id for r in records),
        subject_ids=tuple(sorted({r.subject_id for r in records})),
        list_changed=bool(records),
        status_changed=bool(records),
        conflicts_changed=bool(summary.conflicts),
        due_changed=bool(summary.lifecycle),
        after_decision_changed=bool(summary.lifecycle),
    )


def _user_names(service: AssessmentService) -> tuple[dict[int, str], dict[str, int]]:
    users = service.users()
    return {u.id: u.username for u in users}, {u.username: u.id for u in users}


def export_bundle(
    service: AssessmentService,
    actor: User,
    password: str,
    out: Path,
    everything: bool = False,
    limit: int | None = None,
    pair: KeyPair | None = None,
) -> dict[str, Any]:
    """Write a bundle of every assessment new or changed since a bundle last carried it (all, with ``everything``;
    the oldest ``limit`` of them, with ``limit``: the next bundle carries the rest), encrypted to the agency (one
    file, 0600). Signed with the actor's stored key opened by ``password``, or with ``pair`` opened by it (the
    key the app holds for a background sync)."""
    from ltc_assess.exchange.package import write_package
    from ltc_assess.service import attestation
    from ltc_assess.signing.cms import sign_detached
    from ltc_assess.signing.keys import load_key

    actor = service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
    pair = pair or service.keys.key_pair(actor.id)
    if pair is None:
        message = _("{username} 没有签名证书，无法签署数据包").format(username=actor.username)
        raise AppError(ErrorCode.SIGNATURE, message)
    load_key(pair.key_pem, password)
    names, _ids = _user_names(service)
    records: list[dict[str, Any]] = []
    for row in sorted(service.list_assessments(limit=1_000_000), key=lambda r: r["id"]):
        if limit is not None and len(records) >= limit:
            break
        record = service.assessment(row["id"])
        current = content_hash(service, record)
        if not everything and current == record.sync_hash:
            continue  # unchanged since the last bundle that carried it
        records.append(bundle_record(service, record, current, names))
    bundle_id = uuid.uuid4().hex
    at = service.now()
    root = service.root_certificate()
    with service.unit_of_work(actor) as work:  # the bundle carries the audit chain's signed head (tamper evidence)
        checkpoint = attestation.sign_checkpoint(service, actor.id, password, at, pair)
        lifecycle: list[dict[str, Any]] = []
        lifecycle_facts: list[str] = []
        if limit is None or len(records) < limit:  # after every record it may speak of
            lifecycle, lifecycle_facts = lifecycle_exchange.outgoing(
                work.store, actor, lambda data: sign_detached(data, pair, password, [root]), at, everything
            )
    meta = {
        "format": FORMAT,
        "format_version": 1,
        "bundle_id": bundle_id,
        "created_at": at,
        "created_by": actor.username,
        "counts": {"assessments": len(records), "lifecycle": len(lifecycle)},
        "audit_checkpoint": checkpoint,
    }
    body = json.dumps(records, ensure_ascii=False, sort_keys=True).encode("utf-8")
    files = {"records.json": body}
    if lifecycle:
        files[lifecycle_exchange.LIFECYCLE_FILE] = json.dumps(lifecycle, ensure_ascii=False, sort_keys=True).encode()
    crl = service.pki.current_crl()
    if crl is not None:  # the agency's newest revocations travel to every laptop with the office's bundles
        files[CRL_FILE] = crl
    with bundle_seal.private_dir() as folder:
        manifest = write_package(
            folder / "bundle.zip",
            files,
            meta,
            lambda data: sign_detached(data, pair, password, [root]),
        )
        bundle_seal.seal(service, folder / "bundle.zip", out)
    with service.unit_of_work(actor) as work:
        for rec in records:
            local = service.queries.assessment_by_uid(rec["uid"])
            if local is not None:
                work.store.set_sync_hash(local.id, rec["content_hash"])
        LifecycleStore(work.store.db).mark_lifecycle_sent(lifecycle_facts)
        work.store.log_bundle(bundle_id, "export", at, actor.id, {"assessments": [r["uid"] for r in records]})
        work.audit("bundle.export", "bundle", bundle_id, new={"assessments": len(records), "file": str(out)}, at=at)
    return manifest


def read_bundle(settings: bundle_seal.Settings, path: Path, root: bytes, name: str) -> tuple[VerifiedPackage, bytes]:
    """A bundle file's package (unsealed with the transport key ``settings`` hold) and its signer's certificate:
    the manifest's signature is checked against the agency ``root`` before anything is expanded (a zip bomb is
    refused unread), then its format. ``name`` says which file in errors."""
    from ltc_assess.exchange.package import verify_package
    from ltc_assess.signing.cms import detached_signer
    from ltc_assess.signing.keys import subject_fields

    signed_by: list[bytes] = []

    def check(data: bytes, signature: bytes) -> str:
        signed_by.append(detached_signer(data, signature, [root]))
        return subject_fields(signed_by[-1])["username"]

    with bundle_seal.opened(settings, path, MAX_BUNDLE_BYTES) as inner:
        package = verify_package(inner, check, MAX_BUNDLE_BYTES)
    meta = package.manifest
    if (
        meta.get("format") != FORMAT
        or "records.json" not in package.files
        or not isinstance(meta.get("bundle_id"), str)
    ):
        raise AppError(ErrorCode.INTEGRITY, _("{name}：不是 ltc-assess 数据包").format(name=name))
    return package, signed_by[-1]


def import_bundle(service: AssessmentService, actor: User, path: Path) -> ImportSummary:
    """Verify a bundle and replay its records; all or nothing (``BundleRefused`` names every refused record)."""
    actor = service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
    package, signer_cert = read_bundle(service, path, service.root_certificate(), str(path))
    meta = package.manifest
    if CRL_FILE in package.files:  # before the replay, so that it already knows the revocations
        try:
            service.pki.take_crl(actor.id, package.files[CRL_FILE], "bundle.crl")
        except AppError as exc:
            message = _("{file}：{message}").format(file=CRL_FILE, message=exc.message)
            raise AppError(exc.code, message, where=str(path)) from None
    signer = replay.bundle_signer(service.receiving, signer_cert)
    if service.queries.bundle_seen(meta["bundle_id"]):
        return ImportSummary(already_imported=True)
    records = parse_records(package.files["records.json"], str(path))
    lifecycle = lifecycle_items(package.files, str(path))
    their_head = {"their_audit_head": _their_head(meta)}
    return apply_records(
        service, actor, records, lambda _rec: signer, meta["bundle_id"], path, their_head, lifecycle=lifecycle
    )


def lifecycle_items(files: Mapping[str, bytes], where: str) -> list[dict[str, Any]]:
    """The signed lifecycle records a bundle carries (none in bundles from before they travelled)."""
    data = files.get(lifecycle_exchange.LIFECYCLE_FILE)
    return [] if data is None else parse_lifecycle(data, where)


def apply_records(
    service: AssessmentService,
    actor: User,
    records: list[dict[str, Any]],
    signer_of: Callable[[dict[str, Any]], User],
    source_id: str,
    where: Path | str,
    audit_extra: Mapping[str, Any] = MappingProxyType({}),
    partial: bool = False,
    lifecycle: list[dict[str, Any]] | None = None,
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
        return replay.refusal(service.receiving, rec, local, signer_of(rec), in_play)  # type: ignore[arg-type]

    refused = replay.screen(records, why)  # type: ignore[arg-type]
    summary.refused = [_("评估 {uid}：{reason}").format(uid=uid, reason=reason) for uid, reason in refused.items()]
    if refused and not partial:
        raise BundleRefused(Path(where), summary.refused)
    records = [r for r in records if r["uid"] not in refused]
    if not records and refused and not lifecycle:
        return summary
    _names, ids = _user_names(service)
    at = service.now()
    with service.unit_of_work(actor) as work:
        for rec in records:
            outcome, local = plans[rec["uid"]]
            _apply(work, actor, rec, outcome, local, ids, source_id, at, summary)
        if lifecycle:  # after the records they speak of, judged against what this unit has written
            facts = lifecycle_exchange.DesktopFacts(work.store)
            summary.lifecycle, lrefused = accept(
                facts,
                service.root_certificate(),
                lifecycle,
                lambda item, payload, signer: facts.write(item, payload, signer, at),
                lambda item, payload: facts.keep(
                    payload, item["payload"], item["signature"], item["attachment"], at, sent=1
                ),
            )
            summary.refused += lrefused
            if lrefused and not partial:
                raise BundleRefused(Path(where), lrefused)  # nothing of the bundle stays written
        for rec in records:
            if rec.get("reviews") and plans[rec["uid"]][0] == "write":
                settle_travelled_review(work, rec["uid"], rec["reviews"])
        work.store.log_bundle(source_id, "import", at, actor.id, _summary_dict(summary))
        signers = ", ".join(sorted({signer_of(r).username for r in records}))
        new = _summary_dict(summary) | {"signed_by": signers} | dict(audit_extra)
        work.audit("bundle.import", "bundle", source_id, new=new, at=at)
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
    } | ({"refused": summary.refused} if summary.refused else {}) | (
        {"lifecycle": summary.lifecycle} if summary.lifecycle else {}
    )


def _plan(service: AssessmentService, rec: dict[str, Any]) -> tuple[str, Assessment | None]:
    """What importing ``rec`` does here: unchanged, kept (ours is newer), conflict, or write."""
    local = service.queries.assessment_by_uid(rec["uid"])
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
    if local.status == Status.APPROVED and rec["fields"]["status"] == Status.SUPERSEDED:
        return "write"  # replaced elsewhere by an approved correction or 复评: replay asks for its signed evidence
    if ours != base or local.status in (Status.APPROVED, Status.SUPERSEDED):  # both changed
        return "conflict"
    return "write"


def _apply(
    work: Work,
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
        work.store.set_sync_hash(local.id, rec["content_hash"])  # type: ignore[union-attr]
    elif outcome == "kept":
        summary.kept_ours.append(rec["uid"])
    elif outcome == "conflict":
        work.store.add_conflict(rec["uid"], bundle_id, at, rec)
        summary.conflicts.append(rec["uid"])
    elif local is not None and local.status == Status.APPROVED:  # superseded elsewhere: an approved record is locked
        work.store.update_assessment(local.id, status=apply(local.status, Action.SUPERSEDE, Role.SUPERVISOR).value)
        work.store.set_sync_hash(local.id, rec["content_hash"])
        summary.updated.append(rec["uid"])
    else:
        write_record(work.store, actor, rec, ids, local, at)
        (summary.added if local is None else summary.updated).append(rec["uid"])


def resolve_conflict(service: AssessmentService, actor: User, conflict_id: int, take_theirs: bool) -> Changes:
    """Close a conflict: keep our version, or replace it with the incoming one (replayed again; not for approved
    records)."""
    actor = service.active_actor(actor, Role.SUPERVISOR)
    conflict = service.queries.conflict(conflict_id)
    if conflict is None:
        raise AppError(ErrorCode.NOT_FOUND, _("没有未解决的冲突 {conflict_id}").format(conflict_id=conflict_id))
    incoming = json.loads(conflict["incoming_json"])
    incoming = {"reports": [], "evidence": []} | incoming  # conflicts stored before evidence travelled
    _names, ids = _user_names(service)
    at = service.now()
    with service.unit_of_work(actor) as work:
        if take_theirs:
            local = service.queries.assessment_by_uid(conflict["assessment_uid"])
            if local is not None and local.status in (Status.APPROVED, Status.SUPERSEDED):
                raise AppError(ErrorCode.LOCKED, _("已批准的评估不能被替换，请改为更正"))
            why = replay.refusal(service.receiving, incoming, local, actor, [incoming])
            if why:
                message = _("评估 {uid}：{why}").format(uid=conflict["assessment_uid"], why=why)
                raise AppError(ErrorCode.PERMISSION, message)
            write_record(work.store, actor, incoming, ids, local, at)
        work.store.close_conflict(conflict_id, at, "theirs" if take_theirs else "ours")
        kept = "theirs" if take_theirs else "ours"
        work.audit("bundle.resolve", "assessment", conflict["assessment_uid"], new={"kept": kept}, at=at)
    summary = ImportSummary(updated=[conflict["assessment_uid"]] if take_theirs else [])
    return replace(import_changes(service, summary), conflicts_changed=True)
