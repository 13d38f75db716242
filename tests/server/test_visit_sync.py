"""The on-site visit through the office server (real PostgreSQL): a laptop's signed visit reaches the server's
visit tables and, by the next pull, the office, where the supervisor who was on site is refused approval; the
same record by USB stick and by sync gives one visit; under the server's city policy a submission without a
signed visit, or with a visit an insider edited after signing, is refused by name and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from unit.lifecycle.helpers import on_site, rewritten

from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle
from ltc_assess.cli import main
from ltc_assess.errors import AppError
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.server.enrol import enrol
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import User
from ltc_assess.sync_client import sync
from ltc_assess.workflow import Status

from .conftest import Agency, office_client, pg_store_do
from .test_lifecycle_sync import _submitted


def _user(service: AssessmentService, name: str) -> User:
    user = service.store.user_by_name(name)
    assert user is not None
    return user


def _sync(agency: Agency, service: AssessmentService, user: str):  # type: ignore[no-untyped-def]
    return sync(service, _user(service, user), f"{user}-password", agency.url, agency.transport)


def _server_visit(agency: Agency, uid: str) -> list[dict[str, Any]]:
    return pg_store_do(agency.conninfo, lambda store: store.rows(
        "SELECT p.username, v.recorded_by FROM visit_people p JOIN visits v USING (assessment_id)"
        " JOIN assessments a ON a.id = p.assessment_id WHERE a.uid = %s ORDER BY p.username", [uid]))  # fmt: skip


def test_the_supervisor_on_site_is_refused_approval_at_the_office_after_sync(agency: Agency, tmp_path: Path) -> None:
    laptop, office = agency.laptop1, agency.office
    uid = _submitted(agency, ("a1", "a2", "sup1"))
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
    assert on_site(office, uid) == ["a1", "a2", "sup1"]
    with pytest.raises(AppError, match="现场评估人员不能审核批准同一评估"):
        office.approve(_user(office, "sup1"), here.id, "sup1-password")
    # the same record by USB stick after the sync: unchanged, one visit on both sides
    assert import_bundle(office, _user(office, "sup2"), usb).unchanged == [uid]
    assert on_site(office, uid) == ["a1", "a2", "sup1"]
    lc = Lifecycle(office)
    for expert in ("a2", "sup2"):
        lc.confirm(_user(office, expert), here.id, here.proposed_level)  # type: ignore[arg-type]
    office.approve(_user(office, "sup2"), here.id, "sup2-password")
    assert _sync(agency, office, "sup2").refused == []
    assert _server_visit(agency, uid) == [{"username": u, "recorded_by": "a1"} for u in ("a1", "a2", "sup1")]
    # laptop 2 pulls the approved record: it holds the visit too
    assert _sync(agency, agency.laptop2, "sup1").refused == []
    assert on_site(agency.laptop2, uid) == ["a1", "a2", "sup1"]


def _drop_sup1(uid: str) -> Callable[[list[Any]], None]:
    def change(records: list[Any]) -> None:
        (rec,) = [r for r in records if r["uid"] == uid]
        rec["visit"]["people"] = [p for p in rec["visit"]["people"] if p["user"] != "sup1"]

    return change


def test_under_the_servers_policy_a_missing_or_forged_visit_is_refused(agency: Agency, tmp_path: Path) -> None:
    pg_store_do(agency.conninfo, lambda store: store.set_setting("policy_city", "chengdu"))
    laptop = agency.laptop1
    uid = _submitted(agency, (), push=False)  # nobody checked in
    report = _sync(agency, laptop, "a1")
    assert any(r.startswith(f"评估 {uid}：不符合成都现场评估规定：现场评估须至少 2 人签到并签退") for r in report.refused), (
        report.refused
    )
    assert pg_store_do(agency.conninfo, lambda store: store.record(uid)) is None
    visited = _submitted(agency, ("a1", "a2", "sup1"), push=False)
    genuine = tmp_path / "genuine.zip"
    export_bundle(laptop, _user(laptop, "a1"), "a1-password", genuine)
    client = office_client(agency, "a1")
    try:
        with pytest.raises(BundleRefused) as refused:
            client.push(rewritten(laptop, genuine, tmp_path / "forged.zip", _drop_sup1(visited)))
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


def test_server_check_finds_a_visit_edited_in_postgresql(agency: Agency, capsys: pytest.CaptureFixture[str]) -> None:
    uid = _submitted(agency, ("a1", "a2", "sup1"))
    assert main(["server", "check", "--pg", agency.conninfo]) == 0
    capsys.readouterr()
    with psycopg.connect(agency.conninfo, autocommit=True) as con:  # the insider takes sup1 off the visit
        con.execute(
            "DELETE FROM visit_people WHERE username = 'sup1' AND assessment_id = (SELECT id FROM assessments"
            " WHERE uid = %s)",
            [uid],
        )
    assert main(["server", "check", "--pg", agency.conninfo]) == 1
    assert f"评估 {uid}：记录与其签名人在 submission 记录中签署的内容不符（visit）" in capsys.readouterr().out
