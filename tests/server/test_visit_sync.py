"""The on-site visit through the office server (real PostgreSQL): a laptop's signed visit reaches the server's
visit tables and, by the next pull, the office, where the supervisor who was on site is refused approval; the
same record by USB stick and by sync gives one visit; under the server's city policy a submission without a
signed visit, or with a visit an insider edited after signing, is refused by name and nothing is written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from world import PNG

from ltc_assess import bundle_seal
from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle
from ltc_assess.errors import AppError
from ltc_assess.exchange.package import read_package, write_package
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.server.enrol import enrol
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.keys import KeyPair
from ltc_assess.storage.records import User
from ltc_assess.sync_client import sync
from ltc_assess.workflow import Status

from .conftest import Agency, office_client, pg_store_do

PLACE = "成都市武侯区示例路1号"
QUALIFIED = (("a1", "assessor"), ("a2", "expert"), ("sup1", "expert"), ("sup2", "expert"))


def _user(service: AssessmentService, name: str) -> User:
    user = service.store.user_by_name(name)
    assert user is not None
    return user


def _sync(agency: Agency, service: AssessmentService, user: str):  # type: ignore[no-untyped-def]
    return sync(service, _user(service, user), f"{user}-password", agency.url, agency.transport)


def _submitted(agency: Agency, laptop: AssessmentService, on_site: tuple[str, ...]) -> int:
    """On ``laptop``: a1 and a2 assess, ``on_site`` check in and out (a1 records the checks when on site), a1
    submits; the office holds the same qualifications."""
    w = agency.world
    for service in (laptop, agency.office):
        for user, kind in QUALIFIED:
            Lifecycle(service).set_qualification(w.admin, user, kind)
    a1 = _user(laptop, "a1")
    record, _ = laptop.start_assessment(a1, NewAssessment(subject_id=w.subject.id, form="nhsa-ltc-2021",
                                                          assessor2_id=w.a2.id))  # fmt: skip
    for i in range(1, 11):
        laptop.save_answer(a1, record.id, f"ADL.{i}", 0)
    for item in ("COG.1", "COG.2", "COG.3", "COG.4", "SEN.1", "SEN.2", "SEN.3"):
        laptop.save_answer(a1, record.id, item, 0)
    for role in ("assessor1", "assessor2", "informant"):
        laptop.save_signature(a1, record.id, role, PNG)
    lc = Lifecycle(laptop)
    for name in on_site:
        lc.check_in(_user(laptop, name), record.id, PLACE)
        lc.check_out(_user(laptop, name), record.id, PLACE)
    if "a1" in on_site:
        lc.record_checks(a1, record.id, identity_checked=True, guardian_present=True, guardian_name="王小明")
    laptop.submit(a1, record.id, {"assessor1": "a1-password", "assessor2": "a2-password"})
    return record.id


def _server_visit(agency: Agency, uid: str) -> list[dict[str, Any]]:
    return pg_store_do(agency.conninfo, lambda store: store.rows(
        "SELECT p.username, v.recorded_by FROM visit_people p JOIN visits v USING (assessment_id)"
        " JOIN assessments a ON a.id = p.assessment_id WHERE a.uid = %s ORDER BY p.username", [uid]))  # fmt: skip


def _office_people(office: AssessmentService, uid: str) -> list[str]:
    here = office.store.assessment_by_uid(uid)
    assert here is not None
    names = {u.id: u.username for u in office.users()}
    return sorted(names[p["user_id"]] for p in office.after_decision.visit_people(here.id))


def test_the_supervisor_on_site_is_refused_approval_at_the_office_after_sync(agency: Agency, tmp_path: Path) -> None:
    laptop, office = agency.laptop1, agency.office
    aid = _submitted(agency, laptop, ("a1", "a2", "sup1"))
    uid = laptop.assessment(aid).uid
    assert _sync(agency, laptop, "a1").refused == []
    usb = tmp_path / "stick.zip"
    export_bundle(laptop, _user(laptop, "a1"), "a1-password", usb, everything=True)
    assert _server_visit(agency, uid) == [
        {"username": u, "recorded_by": "a1"} for u in ("a1", "a2", "sup1")
    ]  # the server holds the visit as signed
    Lifecycle(office).use_city(agency.world.admin, "chengdu")
    report = _sync(agency, office, "sup2")
    assert report.refused == [], report.refused
    here = office.store.assessment_by_uid(uid)
    assert here is not None and here.status == Status.SUBMITTED
    assert _office_people(office, uid) == ["a1", "a2", "sup1"]
    with pytest.raises(AppError, match="现场评估人员不能审核批准同一评估"):
        office.approve(_user(office, "sup1"), here.id, "sup1-password")
    # the same record by USB stick after the sync: unchanged, one visit on both sides
    assert import_bundle(office, _user(office, "sup2"), usb).unchanged == [uid]
    assert _office_people(office, uid) == ["a1", "a2", "sup1"]
    lc = Lifecycle(office)
    for expert in ("a2", "sup2"):
        lc.confirm(_user(office, expert), here.id, here.proposed_level)  # type: ignore[arg-type]
    office.approve(_user(office, "sup2"), here.id, "sup2-password")
    assert _sync(agency, office, "sup2").refused == []
    assert _server_visit(agency, uid) == [{"username": u, "recorded_by": "a1"} for u in ("a1", "a2", "sup1")]
    # laptop 2 pulls the approved record: it holds the visit too
    assert _sync(agency, agency.laptop2, "sup1").refused == []
    assert _office_people(agency.laptop2, uid) == ["a1", "a2", "sup1"]


def _forged(laptop: AssessmentService, genuine: Path, out: Path, uid: str) -> Path:
    """The genuine bundle with sup1 dropped from the visit of ``uid``, signed again with a1's own key."""
    with bundle_seal.opened(laptop, genuine, 1 << 30) as inner:
        files = read_package(inner)
    meta = {k: v for k, v in json.loads(files["manifest.json"]).items() if k != "files"}
    records = json.loads(files["records.json"])
    (rec,) = [r for r in records if r["uid"] == uid]
    rec["visit"]["people"] = [p for p in rec["visit"]["people"] if p["user"] != "sup1"]
    stored = laptop.store.user_key(_user(laptop, "a1").id)
    assert stored is not None
    write_package(
        out,
        {"records.json": json.dumps(records, ensure_ascii=False).encode()},
        meta | {"bundle_id": hashlib.md5(out.name.encode()).hexdigest()},
        lambda data: sign_detached(data, KeyPair(*stored), "a1-password", [laptop.root_certificate()]),
    )
    return out


def test_under_the_servers_policy_a_missing_or_forged_visit_is_refused(agency: Agency, tmp_path: Path) -> None:
    pg_store_do(agency.conninfo, lambda store: store.set_setting("policy_city", "chengdu"))
    laptop = agency.laptop1
    uid = laptop.assessment(_submitted(agency, laptop, ())).uid  # nobody checked in
    report = _sync(agency, laptop, "a1")
    assert any(r.startswith(f"评估 {uid}：不符合成都现场评估规定：现场评估须至少 2 人签到并签退") for r in report.refused), (
        report.refused
    )
    assert pg_store_do(agency.conninfo, lambda store: store.record(uid)) is None
    visited = laptop.assessment(_submitted(agency, laptop, ("a1", "a2", "sup1"))).uid
    genuine = tmp_path / "genuine.zip"
    export_bundle(laptop, _user(laptop, "a1"), "a1-password", genuine)
    client = office_client(agency, "a1")
    try:
        with pytest.raises(BundleRefused) as refused:
            client.push(_forged(laptop, genuine, tmp_path / "forged.zip", visited))
    finally:
        client.close()
    assert f"评估 {visited}：记录与其签名人在 submission 记录中签署的内容不符（visit）" in refused.value.refusals
    assert pg_store_do(agency.conninfo, lambda store: store.record(visited)) is None
    assert _server_visit(agency, visited) == []
    # the genuine visit enters, under the protocol as the server counts it (qualifications enrolled from the office)
    pg_store_do(agency.conninfo, lambda store: enrol(agency.office, agency.world.admin, store))
    client = office_client(agency, "a1")
    try:
        assert client.push(genuine)["refused"] == []
    finally:
        client.close()
    assert _server_visit(agency, visited) == [{"username": u, "recorded_by": "a1"} for u in ("a1", "a2", "sup1")]
