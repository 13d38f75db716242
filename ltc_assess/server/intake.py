"""Applying a pushed bundle on the server: the same verification, replay and merge rules as ``bundle import``.

A network push uploads the very bundle file a USB stick would carry, so both paths meet here with the same
bundle id: whichever arrives second changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ltc_assess import bundle_seal, incoming, replay
from ltc_assess.bundle_records import record_hash
from ltc_assess.bundles import FORMAT, MAX_BUNDLE_BYTES, BundleRefused, outcome
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.server.auth import fingerprint
from ltc_assess.server.source import ServerSource
from ltc_assess.workflow import Status


def apply_bundle(source: ServerSource, data: bytes, pushed_by: str) -> dict[str, Any]:
    """Verify the bundle ``data`` and replay its records into the server database (the caller's transaction);
    raises ``BundleRefused`` (nothing written) when any record may not enter."""
    from ltc_assess.exchange.package import verify_package
    from ltc_assess.signing.cms import detached_signer
    from ltc_assess.signing.keys import subject_fields

    store = source.store
    root = source.root_certificate()
    signed_by: list[bytes] = []

    def check(manifest: bytes, signature: bytes) -> str:
        signed_by.append(detached_signer(manifest, signature, [root]))
        return subject_fields(signed_by[-1])["username"]

    with bundle_seal.private_dir() as tmp:
        path = tmp / "push.zip"
        bundle_seal.write_private(path, data)
        with bundle_seal.opened(source.store, path, MAX_BUNDLE_BYTES) as inner:
            package = verify_package(inner, check, MAX_BUNDLE_BYTES)
    meta = package.manifest
    if (
        meta.get("format") != FORMAT
        or "records.json" not in package.files
        or not isinstance(meta.get("bundle_id"), str)
    ):
        raise AppError(ErrorCode.INTEGRITY, "the upload is not an ltc-assess bundle")
    _check_certificate(source, signed_by[-1])
    signer = replay.bundle_signer(source, signed_by[-1])
    bundle_id = meta["bundle_id"]
    records = incoming.parse_records(package.files["records.json"], "push")
    records.sort(key=lambda r: r["supersedes"] is not None)  # originals before corrections
    store.lock(sorted({bundle_id, *(r["uid"] for r in records)}))  # pushes touching one record: one at a time
    if store.bundle_seen(bundle_id):
        return {"bundle_id": bundle_id, "already_imported": True}
    names = store.display_names()
    for rec in records:
        if record_hash(rec, names) != rec["content_hash"]:
            raise BundleRefused(Path("push"), [f"assessment {rec['uid']}: its content hash does not match its content"])
    plans = []
    for rec in records:
        local = store.assessment_by_uid(rec["uid"])
        plans.append((rec, outcome(rec, local, local.sync_hash if local else None), local))
    refusals = [
        f"assessment {rec['uid']}: {why}"
        for rec, what, local in plans
        if what in ("write", "conflict") and (why := replay.refusal(source, rec, local, signer, records))
    ]
    if refusals:
        raise BundleRefused(Path("push"), refusals)
    summary: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": [], "kept_ours": [], "conflicts": []}
    for rec, what, local in plans:
        if what == "write":
            store.put_record(rec, rec["content_hash"], signer.username)
            if rec["fields"]["status"] == Status.APPROVED and rec["supersedes"]:
                store.mark_superseded(rec["supersedes"], lambda r: record_hash(r, names))
            summary["added" if local is None else "updated"].append(rec["uid"])
            store.audit(signer.username, f"assessment.{rec['fields']['status']}", "assessment", rec["uid"],
                        {"bundle": bundle_id, "content_hash": rec["content_hash"]})  # fmt: skip
        elif what == "conflict":
            store.add_conflict(rec["uid"], bundle_id, rec)
            summary["conflicts"].append(rec["uid"])
        else:
            summary["unchanged" if what == "unchanged" else "kept_ours"].append(rec["uid"])
    store.log_bundle(bundle_id, signer.username, pushed_by, summary)
    store.audit(pushed_by, "bundle.import", "bundle", bundle_id, summary | {"signed_by": signer.username})
    return {"bundle_id": bundle_id, "already_imported": False} | summary


def _check_certificate(source: ServerSource, cert_pem: bytes) -> None:
    """A certificate the server revoked (replaced at enrolment) signs nothing any more."""
    if source.store.revoked(fingerprint(cert_pem)):
        raise AppError(ErrorCode.SIGNATURE, "the bundle signer's certificate is revoked")
