"""The on-site visit travels as signed evidence on a USB stick (a laptop's SQLite file to the office's): the
office holds who was on site, so a supervisor who checked in at the visit is refused approval there; a bundle
whose visit an insider edited (a person dropped, an expert added, the visit removed) is refused, naming the
assessment, and writes nothing; a bundle from before visits travelled imports as before where no city policy
applies and is refused, by name, where the office's policy asks for the on-site protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from world import PNG, World, raw_sql, snapshot, with_signing_keys

from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle
from ltc_assess.errors import AppError
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import AssessmentService, NewAssessment, attestation
from ltc_assess.storage.records import User
from ltc_assess.workflow import Status

from .helpers import make_city, nhsa_ready, on_site, rewritten, visit

KEYS = ("a1", "a2", "e1", "e2", "sup1", "sup2")
SIGNERS = {"assessor1": "a1-password", "assessor2": "e1-password"}


def _user(service: AssessmentService, name: str) -> User:
    user = service.store.user_by_name(name)
    assert user is not None
    return user


def _laptop_bundle(world: World, tmp_path: Path) -> tuple[AssessmentService, str, Path]:
    """The world's database is a1's laptop under 成都's policy; the office is a copy made before the visit. On
    the laptop a1 and e1 assess, a1, e1 and the supervisor sup1 check in and out, a1 submits and exports."""
    c = make_city(world)
    with_signing_keys(world, KEYS)
    laptop = world.service
    office = AssessmentService(laptop.backup(tmp_path / "office.db"), clock=world.clock, key=laptop.database_key())
    aid = nhsa_ready(c, world.a1, c.e1)
    visit(c, aid, world.a1, c.e1, world.sup1)
    laptop.submit(world.a1, aid, SIGNERS)
    out = tmp_path / "laptop.zip"
    export_bundle(laptop, world.a1, "a1-password", out)
    return office, laptop.assessment(aid).uid, out


def test_a_supervisor_on_site_is_refused_approval_at_the_office_after_the_bundle(world: World, tmp_path: Path) -> None:
    office, uid, bundle = _laptop_bundle(world, tmp_path)
    import_bundle(office, _user(office, "sup2"), bundle)
    here = office.store.assessment_by_uid(uid)
    assert here is not None and here.status == Status.SUBMITTED
    assert on_site(office, uid) == ["a1", "e1", "sup1"]  # the office holds the visit as it was signed
    checks = office.after_decision.visit_checks(here.id)
    assert checks is not None and checks["identity_checked"] == 1 and checks["recorded_by"] == _user(office, "a1").id
    # the same visit again (a second stick, or the sync after the stick): still one visit
    again = rewritten(office, bundle, tmp_path / "again.zip", lambda records: None)
    assert import_bundle(office, _user(office, "sup2"), again).unchanged == [uid]
    assert on_site(office, uid) == ["a1", "e1", "sup1"]
    with pytest.raises(AppError, match="现场评估人员不能审核批准同一评估"):
        office.approve(_user(office, "sup1"), here.id, "sup1-password")
    # someone who was not on site may, once the experts confirmed
    lc = Lifecycle(office)
    for expert in ("e1", "e2"):
        lc.confirm(_user(office, expert), here.id, here.proposed_level)  # type: ignore[arg-type]
    office.approve(_user(office, "sup2"), here.id, "sup2-password")
    assert office.assessment(here.id).status == Status.APPROVED


def _drop_sup1(records: list[Any]) -> None:
    records[0]["visit"]["people"] = [p for p in records[0]["visit"]["people"] if p["user"] != "sup1"]


def _add_expert(records: list[Any]) -> None:
    first = records[0]["visit"]["people"][0]
    records[0]["visit"]["people"].append(first | {"user": "e2"})


def _no_visit(records: list[Any]) -> None:
    del records[0]["visit"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_drop_sup1, "记录与其签名人在 submission 记录中签署的内容不符（visit）"),
        (_add_expert, "记录与其签名人在 submission 记录中签署的内容不符（visit）"),
        (_no_visit, "记录与其签名人在 submission 记录中签署的内容不符（visit）"),
    ],
    ids=["a person dropped", "an expert added", "the visit removed"],
)
def test_a_visit_edited_after_signing_is_refused_and_writes_nothing(
    world: World, tmp_path: Path, change: Callable[[list[Any]], None], reason: str
) -> None:
    office, uid, bundle = _laptop_bundle(world, tmp_path)
    forged = rewritten(office, bundle, tmp_path / "forged.zip", change)
    con = raw_sql(office)
    before = snapshot(con)
    with pytest.raises(BundleRefused) as refused:
        import_bundle(office, _user(office, "sup2"), forged)
    assert refused.value.refusals == [f"评估 {uid}：{reason}"]
    assert snapshot(con) == before


def _old_laptop_bundle(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AssessmentService, str, Path]:
    """A bundle as a laptop from before visits travelled made it: no city, no visit in the record, the
    submission record signed without one (signed here as the old code did); the office is a copy."""
    with_signing_keys(world, ("a1", "a2", "sup1"))
    laptop = world.service
    office = AssessmentService(laptop.backup(tmp_path / "office.db"), clock=world.clock, key=laptop.database_key())
    record, _ = laptop.start_assessment(
        world.a1, NewAssessment(subject_id=world.subject.id, form="nhsa-ltc-2021", assessor2_id=world.a2.id)
    )
    for i in range(1, 11):
        laptop.save_answer(world.a1, record.id, f"ADL.{i}", 0)
    for item in ("COG.1", "COG.2", "COG.3", "COG.4", "SEN.1", "SEN.2", "SEN.3"):
        laptop.save_answer(world.a1, record.id, item, 0)
    for role in ("assessor1", "assessor2", "informant"):
        laptop.save_signature(world.a1, record.id, role, PNG)
    genuine = attestation.local_facts  # the old code signed no visit
    monkeypatch.setattr(attestation, "local_facts", lambda s, r: replace(genuine(s, r), visit=None))
    laptop.submit(world.a1, record.id, {"assessor1": "a1-password", "assessor2": "a2-password"})
    monkeypatch.undo()
    fresh = tmp_path / "laptop.zip"
    export_bundle(laptop, world.a1, "a1-password", fresh)
    return office, record.uid, rewritten(laptop, fresh, tmp_path / "old.zip", _no_visit)


def test_a_bundle_from_before_visits_travelled_imports_as_before_without_a_policy(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office, uid, old = _old_laptop_bundle(world, tmp_path, monkeypatch)
    summary = import_bundle(office, _user(office, "sup2"), old)
    assert summary.added == [uid]
    here = office.store.assessment_by_uid(uid)
    assert here is not None and here.status == Status.SUBMITTED
    assert on_site(office, uid) == []  # nothing signed, nothing stored
    office.approve(_user(office, "sup1"), here.id, "sup1-password")  # no policy: as before


def test_a_bundle_from_before_visits_travelled_is_refused_under_a_city_policy(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office, uid, old = _old_laptop_bundle(world, tmp_path, monkeypatch)
    Lifecycle(office).use_city(world.admin, "chengdu")
    with pytest.raises(BundleRefused) as refused:
        import_bundle(office, _user(office, "sup2"), old)
    assert refused.value.refusals == [f"评估 {uid}：成都政策要求现场记录，但其提交记录中没有已签名的现场记录"]
    assert office.store.assessment_by_uid(uid) is None


def test_db_check_finds_a_visit_changed_by_sql_after_submission(world: World, tmp_path: Path) -> None:
    office, uid, bundle = _laptop_bundle(world, tmp_path)
    import_bundle(office, _user(office, "sup2"), bundle)
    assert office.check() == []
    here = office.store.assessment_by_uid(uid)
    assert here is not None
    con = raw_sql(office)  # the insider takes sup1 off the visit (no trigger stops a DELETE) to approve
    con.execute("DELETE FROM visit_people WHERE assessment_id = ? AND user_id = ?", [here.id, _user(office, "sup1").id])
    con.commit()
    con.close()
    assert on_site(office, uid) == ["a1", "e1"]
    assert office.check() == [f"评估 {here.id}：现场记录与提交时签署的不符"]
