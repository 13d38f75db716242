"""The lifecycle on a USB stick: the office's bundle carries the signed conclusion, 公示, care setting and letter to
a laptop; a bundle in which an insider (a valid assessor account) forged a 公示, a validity, an objection or a
letter is refused as a whole and writes nothing; a supervisor's 公示 that differs from the one held is a conflict,
refused by name."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from world import PNG, World, raw_sql, snapshot, with_signing_keys

from ltc_assess import bundle_seal, evidence
from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle
from ltc_assess.exchange.package import read_package, write_package
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.keys import KeyPair
from ltc_assess.storage.lifecycle_store import LifecycleStore
from ltc_assess.sync_client import has_changes

SIGNERS = {"assessor1": "a1-password", "assessor2": "a2-password"}


def _office_with_lifecycle(world: World, tmp_path: Path) -> tuple[AssessmentService, str, Path]:
    """A laptop copy made first; then at the office a1/a2 submit, two experts confirm, sup1 approves under 成都's
    policy, publishes, records the care setting, signs the letter, and exports everything as a bundle."""
    with_signing_keys(world, ("a1", "a2", "sup1", "sup2"))
    s = world.service
    laptop = AssessmentService(s.backup(tmp_path / "laptop.db"), clock=world.clock, key=s.database_key())
    lc = Lifecycle(s)
    for user in ("sup1", "sup2"):
        lc.set_qualification(world.admin, user, "expert")
    record, _ = s.start_assessment(
        world.a1, NewAssessment(subject_id=world.subject.id, form="nhsa-ltc-2021", assessor2_id=world.a2.id)
    )
    for i in range(1, 11):
        s.save_answer(world.a1, record.id, f"ADL.{i}", 0)
    for item in ("COG.1", "COG.2", "COG.3", "COG.4", "SEN.1", "SEN.2", "SEN.3"):
        s.save_answer(world.a1, record.id, item, 0)
    for role in ("assessor1", "assessor2", "informant"):
        s.save_signature(world.a1, record.id, role, PNG)
    s.submit(world.a1, record.id, SIGNERS)  # before the city is chosen: the on-site protocol is not this test's
    lc.use_city(world.admin, "chengdu")
    level = s.assessment(record.id).proposed_level
    for expert in ("sup1", "sup2"):
        lc.confirm(s.store.user_by_name(expert), record.id, level)  # type: ignore[arg-type]
    s.approve(world.sup1, record.id, "sup1-password")
    today = s.now()[:10]
    lc.publish(world.sup1, today, today)
    lc.choose_care_setting(world.sup1, record.id, "home", "王小明", PNG, "子女")
    lc.letter_pdf(record.id, world.sup1, "sup1-password")
    out = tmp_path / "office.zip"
    export_bundle(s, world.sup1, "sup1-password", out, everything=True)
    return laptop, record.uid, out


def _resigned(laptop: AssessmentService, genuine: Path, out: Path, user: str, change) -> Path:  # type: ignore[no-untyped-def]
    """The genuine bundle's files with lifecycle.json changed by ``change``, re-signed with ``user``'s own key."""
    with bundle_seal.opened(laptop, genuine, 1 << 30) as inner:
        files = read_package(inner)
    meta = {k: v for k, v in json.loads(files["manifest.json"]).items() if k != "files"}
    items = change(json.loads(files["lifecycle.json"]))
    stored = laptop.store.user_key(laptop.store.user_by_name(user).id)  # type: ignore[union-attr]
    write_package(
        out,
        {"records.json": files["records.json"], "lifecycle.json": json.dumps(items).encode()},
        meta | {"bundle_id": hashlib.md5(out.name.encode()).hexdigest()},
        lambda data: sign_detached(data, KeyPair(*stored), f"{user}-password", [laptop.root_certificate()]),
    )
    return out


def _sign(laptop: AssessmentService, user: str, fact: dict, attachment: bytes | None = None) -> dict:
    stored = laptop.store.user_key(laptop.store.user_by_name(user).id)  # type: ignore[union-attr]
    text = evidence.canonical(fact | {"signer": user})
    signature = sign_detached(text.encode(), KeyPair(*stored), f"{user}-password", [laptop.root_certificate()])
    return {"kind": fact["kind"], "payload": text, "signature": base64.b64encode(signature).decode(),
            "attachment": base64.b64encode(attachment).decode() if attachment else None}  # fmt: skip


def _fact(items: list[dict], kind: str) -> dict:
    payload = json.loads(next(i["payload"] for i in items if i["kind"] == kind))
    return {k: v for k, v in payload.items() if k != "signer"}


def test_the_office_bundle_carries_the_lifecycle_and_forgeries_are_refused(world: World, tmp_path: Path) -> None:
    laptop, uid, genuine = _office_with_lifecycle(world, tmp_path)
    sup2 = laptop.store.user_by_name("sup2")
    forgeries = {
        "an assessor's later 公示": ("a1", lambda items: [_sign(laptop, "a1", _fact(items, "publicity")
                                                              | {"objection_until": "2099-12-31"})]),
        "an assessor's validity": ("a1", lambda items: [_sign(laptop, "a1", _fact(items, "conclusion")
                                                             | {"valid_until": "2099-12-31"})]),
        "an assessor's objection": ("a1", lambda items: [_sign(laptop, "a1", {
            "kind": "objection", "assessment": uid, "lodged_at": "2026-01-01T00:00:00+00:00",
            "lodged_by": "张三", "reason": "不服"})]),
        "a supervisor's validity the policy does not give": ("sup2", lambda items: [
            i for i in items if i["kind"] != "conclusion"] + [_sign(laptop, "sup2", _fact(items, "conclusion")
                                                                   | {"valid_until": "2099-12-31"})]),
    }  # fmt: skip
    con = raw_sql(laptop)
    before = snapshot(con)
    for n, (what, (signer, change)) in enumerate(forgeries.items()):
        forged = _resigned(laptop, genuine, tmp_path / f"forged{n}.zip", signer, change)
        with pytest.raises(BundleRefused) as refused:
            import_bundle(laptop, sup2, forged)  # type: ignore[arg-type]
        assert refused.value.refusals, what
        assert snapshot(con) == before, what
    # the genuine bundle enters: the laptop now holds the conclusion, its 公示 and the signed letter
    summary = import_bundle(laptop, sup2, genuine)  # type: ignore[arg-type]
    assert sorted(s.split(":")[0] for s in summary.lifecycle) == ["care_setting", "conclusion", "letter", "publicity"]
    local = laptop.store.assessment_by_uid(uid)
    office = world.service.store.assessment_by_uid(uid)
    lstore, office_lstore = LifecycleStore(laptop.store.db), LifecycleStore(world.service.store.db)
    assert lstore.conclusion(local.id) | {"assessment_id": 0} == office_lstore.conclusion(office.id) | {  # type: ignore[union-attr]
        "assessment_id": 0
    }
    assert lstore.care_choice(local.id)["setting"] == "home"  # type: ignore[union-attr, index]
    assert lstore.signed_letter(uid) == office_lstore.signed_letter(uid)
    # a supervisor's 公示 with other dates than the one now held: a conflict, named, nothing overwritten
    moved = (dt.date.fromisoformat(lstore.conclusion(local.id)["published_at"]) + dt.timedelta(days=3)).isoformat()  # type: ignore[index, union-attr]
    later = tmp_path / "later.zip"
    _resigned(laptop, genuine, later, "sup2", lambda items: [_sign(laptop, "sup2", _fact(items, "publicity")
                                                                   | {"published_at": moved})])  # fmt: skip
    before = snapshot(con)
    with pytest.raises(BundleRefused) as refused:
        import_bundle(laptop, sup2, later)  # type: ignore[arg-type]
    assert any("与本机已有记录冲突" in r for r in refused.value.refusals), refused.value.refusals
    assert snapshot(con) == before
    con.close()
    laptop.close()


def test_lifecycle_records_waiting_to_be_sent_count_as_changes_to_sync(world: World, tmp_path: Path) -> None:
    """需要同步 (``has_changes``) sees a signed record not sent yet, with or without a user, and the facts the
    user may sign; a bundle that carries them clears it."""
    _laptop, uid, _bundle = _office_with_lifecycle(world, tmp_path)  # everything exported: nothing waits
    s, sup1 = world.service, world.sup1
    assert not has_changes(s) and not has_changes(s, sup1)
    aid = s.queries.assessment_by_uid(uid).id  # type: ignore[union-attr]
    lc = Lifecycle(s)
    world.clock.now += dt.timedelta(minutes=5)
    lc.letter_pdf(aid, sup1, "sup1-password")  # a new 告知书, signed now and kept unsent; no record changed
    assert has_changes(s) and has_changes(s, sup1) and has_changes(s, world.a1)
    export_bundle(s, sup1, "sup1-password", tmp_path / "letter.zip")
    assert not has_changes(s) and not has_changes(s, sup1)
    lc.lodge_objection(sup1, aid, "王小明", "家属认为等级偏低")  # a fact only a supervisor signs: waits for sup1's push
    assert has_changes(s, sup1) and not has_changes(s, world.a1)


def test_a_lifecycle_file_over_the_cap_is_refused_naming_file_and_limit(world: World, tmp_path: Path) -> None:
    """Test that a genuine office bundle whose lifecycle.json was padded (by sup2, re-signed with their own key)
    to one record more than a bundle may carry is refused before any record is judged, with the file and the
    limit named, and writes nothing."""
    from ltc_assess.errors import AppError
    from ltc_assess.incoming import MAX_LIFECYCLE_RECORDS

    laptop, uid, genuine = _office_with_lifecycle(world, tmp_path)
    padded = _resigned(laptop, genuine, tmp_path / "padded.zip", "sup2",
                       lambda items: items + [{}] * (MAX_LIFECYCLE_RECORDS + 1 - len(items)))  # fmt: skip
    con = raw_sql(laptop)
    before = snapshot(con)
    expected = f"lifecycle.json：最多 {MAX_LIFECYCLE_RECORDS} 条记录，而不是 {MAX_LIFECYCLE_RECORDS + 1} 条"
    with pytest.raises(AppError, match=expected):
        import_bundle(laptop, laptop.store.user_by_name("sup1"), padded)  # type: ignore[arg-type]
    assert snapshot(con) == before
    con.close()
    just_fits = _resigned(laptop, genuine, tmp_path / "fits.zip", "sup2", lambda items: items)
    assert import_bundle(laptop, laptop.store.user_by_name("sup1"), just_fits).refused == []  # type: ignore[arg-type]
