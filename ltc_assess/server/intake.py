"""Applying a pushed bundle on the server: the same verification, replay and merge rules as ``bundle import``.

A network push uploads the very bundle file a USB stick would carry, so both paths meet here with the same
bundle id: whichever arrives second changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ltc_assess import bundle_seal, incoming, replay
from ltc_assess.bundle_records import record_hash
from ltc_assess.bundles import CRL_FILE, BundleRefused, lifecycle_items, outcome, read_bundle
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.incoming import MAX_LIFECYCLE_RECORDS
from ltc_assess.lifecycle_records import accept, assessment_of
from ltc_assess.server import crl, review_links
from ltc_assess.server.auth import fingerprint
from ltc_assess.server.limits import TooLarge
from ltc_assess.server.source import ServerFacts, ServerSource
from ltc_assess.workflow import Status


def apply_bundle(
    source: ServerSource, data: bytes, pushed_by: str, max_records: int, max_lifecycle: int = MAX_LIFECYCLE_RECORDS
) -> dict[str, Any]:
    """Verify the bundle ``data`` and replay its records into the server database (the caller's transaction).
    Records that may not enter are left out and named with their reason in the result's ``refused``; the others
    enter (one bad record must not hold back a laptop's other work). ``BundleRefused`` (nothing written) when
    none may enter."""
    store = source.store
    with bundle_seal.private_dir() as tmp:
        path = tmp / "push.zip"
        bundle_seal.write_private(path, data)
        package, signer_cert = read_bundle(store, path, source.root_certificate(), "the upload")
    meta = package.manifest
    _check_certificate(source, signer_cert)
    signer = replay.bundle_signer(source, signer_cert)
    if CRL_FILE in package.files:  # as ``bundle import`` takes it: the root's, and newer, or refused
        try:
            crl.take(store, source.root_certificate(), package.files[CRL_FILE], pushed_by)
        except AppError as exc:
            raise AppError(
                exc.code, _("{file}：{reason}").format(file=CRL_FILE, reason=exc.message), where="push"
            ) from None
    bundle_id = meta["bundle_id"]
    records = incoming.parse_records(package.files["records.json"], "push")
    if len(records) > max_records:
        raise TooLarge(
            _("一次推送最多 {max_records} 份评估，而不是 {count} 份（请拆分）").format(
                max_records=max_records, count=len(records)
            )
        )
    try:
        lifecycle = lifecycle_items(package.files, "push", max_lifecycle)
    except incoming.TooMany as exc:
        raise TooLarge(exc.message) from None
    records.sort(key=lambda r: r["supersedes"] is not None)  # originals before corrections
    # pushes touching one record or one record's lifecycle: one at a time, so that the second judges what the
    # first wrote (the same fact: unchanged; another in its slot: refused by name) and never meets the constraint
    touched = {r["uid"] for r in records} | {assessment_of(i) for i in lifecycle}
    store.lock(sorted({bundle_id, *touched}))
    if store.bundle_seen(bundle_id):
        return {"bundle_id": bundle_id, "already_imported": True}
    names = store.display_names()
    plans = {}
    for rec in records:
        local = store.assessment_by_uid(rec["uid"])
        plans[rec["uid"]] = (outcome(rec, local, local.sync_hash if local else None), local)

    def why(rec: Mapping[str, Any], in_play: list[Mapping[str, Any]]) -> str | None:
        if record_hash(rec, names) != rec["content_hash"]:
            return "its content hash does not match its content"
        what, local = plans[rec["uid"]]
        if what not in ("write", "conflict"):
            return None
        return replay.refusal(source, rec, local, signer, in_play)

    refused = replay.screen(records, why)  # type: ignore[arg-type]
    refusals = [_("评估 {uid}：{reason}").format(uid=uid, reason=reason) for uid, reason in refused.items()]
    if refused and len(refused) == len(records) and "lifecycle.json" not in package.files:
        raise BundleRefused(Path("push"), refusals)  # nothing enters: the push is refused as a whole
    summary: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": [], "kept_ours": [], "conflicts": []}
    for rec in records:
        if rec["uid"] in refused:
            continue
        what, local = plans[rec["uid"]]
        if what == "write":
            store.put_record(rec, rec["content_hash"], signer.username, replay.signed_visit(rec))
            if rec["fields"]["status"] == Status.APPROVED and rec["supersedes"]:
                store.mark_superseded(rec["supersedes"], lambda r: record_hash(r, names))
            review_links.settle(store, source.root_certificate(), rec, lambda r: record_hash(r, names))
            summary["added" if local is None else "updated"].append(rec["uid"])
            store.audit(signer.username, f"assessment.{rec['fields']['status']}", "assessment", rec["uid"],
                        {"bundle": bundle_id, "content_hash": rec["content_hash"]})  # fmt: skip
        elif what == "conflict":
            store.add_conflict(rec["uid"], bundle_id, rec)
            summary["conflicts"].append(rec["uid"])
        else:
            summary["unchanged" if what == "unchanged" else "kept_ours"].append(rec["uid"])
    if lifecycle:  # after the records they speak of: judged by the desktop's rule against what is held here
        facts = ServerFacts(store)
        summary["lifecycle"], lrefused = accept(facts, source.root_certificate(), lifecycle, facts.write)
        refusals += lrefused
        if lrefused and len(lrefused) == len(lifecycle) and len(refused) == len(records):
            raise BundleRefused(Path("push"), refusals)
    summary["refused"] = refusals  # told to the pushing client with each reason; the rest entered
    store.log_bundle(bundle_id, signer.username, pushed_by, summary)
    store.audit(pushed_by, "bundle.import", "bundle", bundle_id, summary | {"signed_by": signer.username})
    return {"bundle_id": bundle_id, "already_imported": False} | summary


def _check_certificate(source: ServerSource, cert_pem: bytes) -> None:
    """A certificate the server revoked (replaced at enrolment) signs nothing any more."""
    if source.store.revoked(fingerprint(cert_pem)):
        raise AppError(ErrorCode.SIGNATURE, _("数据包签名人的证书已被吊销"))
