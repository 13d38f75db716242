"""An expert's confirmation made on another desktop reaches the approving supervisor's machine as a record the
expert signed (SQLite files, bundles): without it the approval lacks the policy's confirmations; with it the
supervisor approves. A confirmation an assessor signed for themselves (not an expert) or in an expert's name is
refused by name and writes nothing."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from world import World, raw_sql, snapshot

from ltc_assess import evidence
from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle
from ltc_assess.errors import AppError
from ltc_assess.exchange.package import write_package
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import AssessmentService
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.keys import KeyPair
from ltc_assess.workflow import Status

from .test_visit_travels import _laptop_bundle, _user


def _confirmed_by(service: AssessmentService, uid: str) -> dict[str, int]:
    record = service.store.assessment_by_uid(uid)
    assert record is not None
    names = {u.id: u.username for u in service.users()}
    return {names[c["user_id"]]: c["level"] for c in service.after_decision.confirmations(record.id)}


def _forged(service: AssessmentService, out: Path, signer: str, fact: dict) -> Path:
    """A bundle signed by ``signer`` (a valid account) carrying only ``fact`` signed by ``signer``."""
    stored = service.store.user_key(_user(service, signer).id)
    assert stored is not None
    root = service.root_certificate()
    text = evidence.canonical(fact | {"signer": signer})
    item = {"kind": fact["kind"], "payload": text, "attachment": None,
            "signature": base64.b64encode(sign_detached(text.encode(), KeyPair(*stored), f"{signer}-password",
                                                        [root])).decode()}  # fmt: skip
    meta = {"format": "ltc-assess-bundle", "format_version": 1, "bundle_id": hashlib.md5(out.name.encode()).hexdigest(),
            "created_at": service.now(), "created_by": signer, "counts": {}}  # fmt: skip
    write_package(
        out,
        {"records.json": b"[]", "lifecycle.json": json.dumps([item]).encode()},
        meta,
        lambda data: sign_detached(data, KeyPair(*stored), f"{signer}-password", [root]),
    )
    return out


def test_a_confirmation_made_on_another_desktop_reaches_the_approver(world: World, tmp_path: Path) -> None:
    office, uid, bundle = _laptop_bundle(world, tmp_path)
    desk = AssessmentService(office.backup(tmp_path / "desk.db"), clock=world.clock, key=office.database_key())
    for service in (office, desk):
        import_bundle(service, _user(service, "sup2"), bundle)
    here, there = office.store.assessment_by_uid(uid), desk.store.assessment_by_uid(uid)
    assert here is not None and there is not None
    level = here.proposed_level
    assert level is not None
    Lifecycle(desk).confirm(_user(desk, "e2"), there.id, level)  # the expert e2 at another desktop
    Lifecycle(office).confirm(_user(office, "e1"), here.id, level)
    with pytest.raises(AppError, match="评估专家确认"):
        office.approve(_user(office, "sup2"), here.id, "sup2-password")  # 成都 asks for two
    # a bundle of sup2's from the desk carries nothing sup2 may sign of e2's: the confirmation stays there
    from_sup2 = tmp_path / "desk-sup2.zip"
    export_bundle(desk, _user(desk, "sup2"), "sup2-password", from_sup2)
    import_bundle(office, _user(office, "sup2"), from_sup2)
    assert _confirmed_by(office, uid) == {"e1": level}
    # e2's own bundle (or sync) signs it in e2's name
    from_e2 = tmp_path / "desk-e2.zip"
    export_bundle(desk, _user(desk, "e2"), "e2-password", from_e2)
    summary = import_bundle(office, _user(office, "sup2"), from_e2)
    assert summary.lifecycle == [f"confirmation:{uid}:e2"]
    assert _confirmed_by(office, uid) == {"e1": level, "e2": level}
    office.approve(_user(office, "sup2"), here.id, "sup2-password")
    assert office.assessment(here.id).status == Status.APPROVED


def test_a_forged_confirmation_is_refused_and_writes_nothing(world: World, tmp_path: Path) -> None:
    office, uid, bundle = _laptop_bundle(world, tmp_path)
    import_bundle(office, _user(office, "sup2"), bundle)
    level = office.store.assessment_by_uid(uid).proposed_level  # type: ignore[union-attr]
    fact = {"kind": "confirmation", "assessment": uid, "level": level, "confirmed_at": office.now()}
    con = raw_sql(office)
    before = snapshot(con)
    cases = {
        "a1 (an assessor, not an expert) for themselves": (fact | {"expert": "a1"}, "不是评估专家，不能确认结论"),
        "a1 in the expert e2's name": (fact | {"expert": "e2"}, "确认记录写明专家为 e2，但由 a1 签署"),
        "a level the form does not have": (fact | {"expert": "e1", "level": 99}, "中没有等级 99"),
    }
    for n, (what, (forged, reason)) in enumerate(cases.items()):
        signer = forged["expert"] if forged["expert"] != "e2" else "a1"
        with pytest.raises(BundleRefused) as refused:
            import_bundle(office, _user(office, "sup2"), _forged(office, tmp_path / f"f{n}.zip", signer, forged))
        assert any(reason in r and uid in r for r in refused.value.refusals), (what, refused.value.refusals)
        assert snapshot(con) == before, what
