"""The issue's scenario against the real PostgreSQL: dispatch -> visit offline -> sync -> review -> return -> fix
-> sync -> approve -> the insurer API returns the decision with its signed report; forged approvals pushed by an
assessor are refused; a bundle through USB and through sync gives one record."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from world import PNG, id_number, raw_sql

from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle
from ltc_assess.server.enrol import enrol_insurer
from ltc_assess.service import NewAssessment
from ltc_assess.signing.pades import verify_pdf
from ltc_assess.sync_client import ServerClient, sync
from ltc_assess.visits import my_tasks, start_from_task
from ltc_assess.workflow import Status

from .conftest import Agency, office_client, pg_store_do

SIGNERS = {"assessor1": "a1-password", "assessor2": "a2-password"}
DUE = (dt.date.today() + dt.timedelta(days=7)).isoformat()


def _sync(agency: Agency, service, user: str):  # type: ignore[no-untyped-def]
    return sync(service, service.store.user_by_name(user), f"{user}-password", agency.url, agency.transport)


def _dispatch(agency: Agency) -> str:
    person = {
        "uid": "ab" * 16,
        "name": "李建国",
        "sex": "male",
        "birth_date": "1938-05-02",
        "id_number": id_number("11010519380502113"),
        "district": "西城区",
        "phone": "13900001111",
    }
    client = office_client(agency, "sup1")
    task = client.call(
        "POST",
        "/api/v1/tasks",
        json={"person": person, "form_ref": "barthel@1", "assessor_a": "a1", "assessor_b": "a2", "due_date": DUE},
    )
    client.close()
    assert task["state"] == "assigned"
    return str(task["uid"])


def _fill(service, aid: int, values: int = 0) -> None:  # type: ignore[no-untyped-def]
    a1 = service.store.user_by_name("a1")
    for i in range(1, 11):
        service.save_answer(a1, aid, f"BI.{i}", 5 if i in (2, 3) and values else values)
    for role in ("assessor1", "assessor2", "informant"):
        service.save_signature(a1, aid, role, PNG)


def _server_row(agency: Agency, uid: str) -> dict:
    rows = pg_store_do(agency.conninfo, lambda s: s.rows("SELECT * FROM assessments WHERE uid = %s", [uid]))
    assert len(rows) <= 1
    return rows[0] if rows else {}


def _task_state(agency: Agency, task_uid: str) -> str:
    client = office_client(agency, "sup1")
    try:
        return next(t["state"] for t in client.call("GET", "/api/v1/tasks") if t["uid"] == task_uid)
    finally:
        client.close()


def test_dispatch_visit_sync_review_return_fix_approve_insurer(agency: Agency, tmp_path: Path, english: None) -> None:
    office, laptop = agency.office, agency.laptop1
    task_uid = _dispatch(agency)
    # the task reaches the assessor's laptop on the next sync; the assessment started from it is linked
    report = _sync(agency, laptop, "a1")
    assert report.tasks == 1
    a1 = laptop.store.user_by_name("a1")
    assert [t["uid"] for t in my_tasks(laptop, a1)] == [task_uid]
    record = start_from_task(laptop, a1, task_uid)
    assert laptop.subject(record.subject_id).name == "李建国"
    _fill(laptop, record.id)
    laptop.submit(a1, record.id, SIGNERS)
    report = _sync(agency, laptop, "a1")
    assert report.refused == [] and report.pushed[0]["added"] == [record.uid]
    assert _server_row(agency, record.uid)["status"] == "submitted"
    assert _task_state(agency, task_uid) == "submitted"
    # the supervisor's desktop pulls the review queue and returns it with a comment
    _sync(agency, office, "sup1")
    at_office = office.store.assessment_by_uid(record.uid)
    assert at_office is not None and at_office.status == Status.SUBMITTED
    sup1 = office.store.user_by_name("sup1")
    office.return_for_correction(sup1, at_office.id, "BI.1 请核实", "BI.1")
    _sync(agency, office, "sup1")
    assert _server_row(agency, record.uid)["status"] == "returned"
    assert _task_state(agency, task_uid) == "returned"
    # the assessor pulls the return with its comment, fixes, resubmits
    _sync(agency, laptop, "a1")
    back = laptop.assessment(record.id)
    assert back.status == Status.RETURNED
    assert [c.body for c in laptop.comments(record.id)] == ["BI.1 请核实"]
    laptop.save_answer(a1, record.id, "BI.1", 5)
    laptop.submit(a1, record.id, SIGNERS)
    _sync(agency, laptop, "a1")
    # approval at the office, pushed
    _sync(agency, office, "sup1")
    at_office = office.store.assessment_by_uid(record.uid)
    assert at_office.status == Status.SUBMITTED and at_office.answers["BI.1"] == 5  # type: ignore[union-attr]
    office.approve(sup1, at_office.id, "sup1-password")  # type: ignore[union-attr]
    _sync(agency, office, "sup1")
    assert _server_row(agency, record.uid)["status"] == "approved"
    assert _task_state(agency, task_uid) == "approved"
    # the laptop learns of the approval
    _sync(agency, laptop, "a1")
    assert laptop.assessment(record.id).status == Status.APPROVED
    # the insurer, with its own certificate from the agency root, sees the decision and its signed report
    cert, key = pg_store_do(
        agency.conninfo,
        lambda store: enrol_insurer(
            office,
            agency.world.admin,
            store,
            "insurer1",
            "某市医保局",
            "root-passphrase",
            "insurer-password",
            tmp_path / "insurer1",
        ),
    )
    root = office.root_certificate()
    insurer = ServerClient(agency.url, root, agency.transport)
    insurer.login("insurer1", cert.read_bytes(), key.read_bytes(), "insurer-password", root)
    page = insurer.call("GET", "/api/v1/decisions", params={"since": 0})
    [decision] = page["decisions"]
    approved = office.assessment(at_office.id)  # type: ignore[union-attr]
    assert decision["uid"] == record.uid and decision["status"] == "approved"
    assert decision["level"] == approved.level and decision["approved_by"] == "sup1"
    pdf = insurer.call("GET", f"/api/v1/decisions/{record.uid}/report.pdf")
    assert decision["report_sha256"] == hashlib.sha256(pdf).hexdigest()
    verdict = verify_pdf(pdf, [root])
    assert verdict.ok and [s.username for s in verdict.signatures][-1] == "sup1"
    assert insurer.call("GET", "/api/v1/decisions", params={"since": page["cursor"]})["decisions"] == []
    # an insurer reads decisions only; an assessor reads no decisions
    with pytest.raises(Exception, match="insurer may not"):
        insurer.call("GET", "/api/v1/sync/changes")
    insurer.close()
    assessor = office_client(agency, "a1")
    with pytest.raises(Exception, match="assessor may not"):
        assessor.call("GET", "/api/v1/decisions")
    assessor.close()


def _submitted_on_server(agency: Agency) -> tuple[int, str]:
    laptop = agency.laptop1
    a1 = laptop.store.user_by_name("a1")
    new = NewAssessment(subject_id=agency.world.subject.id, form="barthel", assessor2_id=agency.world.a2.id)
    aid = laptop.start_assessment(a1, new)[0].id  # type: ignore[arg-type]
    _fill(laptop, aid)
    laptop.submit(a1, aid, SIGNERS)
    assert _sync(agency, laptop, "a1").refused == []
    return aid, laptop.assessment(aid).uid


def _server_dump(agency: Agency) -> list:
    return pg_store_do(
        agency.conninfo,
        lambda s: [
            s.rows(f"SELECT * FROM {t} ORDER BY 1") for t in ("assessments", "reports", "signed_records", "bundles")
        ],
    )


def forge_approval(agency: Agency) -> str:
    """The trust-boundary attack: an assessment submitted to the server, then SQL on laptop1 marks it approved by
    sup1 at level 0; its uid."""
    aid, uid = _submitted_on_server(agency)
    laptop = agency.laptop1
    con = raw_sql(laptop)  # the insider's SQLite shell on the (encrypted) laptop file
    con.execute("DROP TRIGGER IF EXISTS assessments_approved_immutable")
    sup1 = agency.world.sup1.id
    con.execute(
        "UPDATE assessments SET status='approved', approved_by=?, approved_at='2026-11-01T09:00:00+00:00',"
        " decided_level=0, decided_by=?, decision_reason='x' WHERE id=?",
        [sup1, sup1, aid],
    )
    con.commit()
    con.close()
    return uid


def test_forged_approval_pushed_by_an_assessor_is_refused(agency: Agency) -> None:
    """The trust-boundary attack over the network: SQL on the laptop marks it approved by sup1 at level 0."""
    uid = forge_approval(agency)
    laptop = agency.laptop1
    before = _server_dump(agency)
    report = _sync(agency, laptop, "a1")
    assert any("approval" in line or "decided" in line or "signature" in line for line in report.refused), (
        report.refused
    )
    assert _server_dump(agency) == before
    assert _server_row(agency, uid)["status"] == "submitted"


def test_same_bundle_through_usb_and_sync_gives_one_record(agency: Agency, tmp_path: Path) -> None:
    laptop, office = agency.laptop2, agency.office
    a1 = laptop.store.user_by_name("a1")
    record, _ = laptop.start_assessment(
        a1, NewAssessment(subject_id=agency.world.subject.id, form="barthel", assessor2_id=agency.world.a2.id)
    )
    _fill(laptop, record.id)
    laptop.submit(a1, record.id, SIGNERS)
    usb = tmp_path / "usb.zip"
    export_bundle(laptop, a1, "a1-password", usb)
    # the stick goes to the office desktop, which imports it and later syncs
    import_bundle(office, agency.world.sup1, usb)
    # the same file is also pushed over the network (twice: idempotent)
    client = office_client(agency, "a1")
    first = client.push(usb)
    again = client.push(usb)
    client.close()
    assert first["added"] == [record.uid] and again["added"] == [record.uid]  # the stored result, not a re-apply
    report = _sync(agency, office, "sup1")  # the office holds what the server holds: nothing to push
    assert report.refused == [] and report.pushed == []
    # work done on the USB copy continues through the server
    at_office = office.store.assessment_by_uid(record.uid)
    office.return_for_correction(agency.world.sup1, at_office.id, "请补充")  # type: ignore[union-attr]
    report = _sync(agency, office, "sup1")
    assert report.refused == [] and report.pushed[0]["updated"] == [record.uid]
    assert _server_row(agency, record.uid)["status"] == "returned"
    assert _sync(agency, laptop, "a1").refused == []
    count = pg_store_do(
        agency.conninfo, lambda s: s.rows("SELECT count(*) AS n FROM assessments WHERE uid = %s", [record.uid])
    )
    assert count == [{"n": 1}]
    assert laptop.assessment(record.id).status == Status.RETURNED


def test_push_of_a_foreign_assessment_by_an_assessor_is_refused(agency: Agency) -> None:
    _aid, uid = _submitted_on_server(agency)
    laptop = agency.laptop2  # a3 never took part; an edit by SQL and a push signed by a3
    import_bundle(laptop, agency.world.a3, _bundle_of(agency, agency.laptop1, "a1"))
    con = raw_sql(laptop)  # the insider's SQLite shell on the (encrypted) laptop file
    con.execute("UPDATE assessments SET reason = 'changed' WHERE uid = ?", [uid])
    con.commit()
    con.close()
    before = _server_dump(agency)
    report = _sync(agency, laptop, "a3")
    assert any("未参与" in line for line in report.refused), report.refused
    assert _server_dump(agency) == before


def _bundle_of(agency: Agency, service, user: str) -> Path:  # type: ignore[no-untyped-def]
    out = Path(service.path).parent / f"{user}-all.zip"
    export_bundle(service, service.store.user_by_name(user), f"{user}-password", out, everything=True)
    return out


def test_a_record_whose_content_hash_lies_is_refused(agency: Agency, tmp_path: Path) -> None:
    """A bundle signed with a1's own key whose record claims another content hash than its content has."""
    from ltc_assess import bundle_seal
    from ltc_assess.exchange.package import read_package, write_package
    from ltc_assess.signing.cms import sign_detached
    from ltc_assess.signing.keys import KeyPair

    _aid, _uid = _submitted_on_server(agency)
    laptop = agency.laptop1
    genuine = _bundle_of(agency, laptop, "a1")
    with bundle_seal.opened(laptop, genuine, 1 << 30) as inner:  # a1's laptop holds the agency's transport key
        files = read_package(inner)
    meta = {k: v for k, v in json.loads(files["manifest.json"]).items() if k != "files"}
    records = json.loads(files["records.json"])
    records[0]["content_hash"] = "0" * 64
    stored = laptop.store.user_key(agency.world.a1.id)
    forged = tmp_path / "forged.zip"
    write_package(
        forged,
        {"records.json": json.dumps(records).encode()},
        meta | {"bundle_id": "f" * 32},
        lambda data: sign_detached(data, KeyPair(*stored), "a1-password", [laptop.root_certificate()]),
    )
    before = _server_dump(agency)
    client = office_client(agency, "a1")
    with pytest.raises(BundleRefused) as refused:
        client.push(forged)
    client.close()
    assert any("content hash" in line for line in refused.value.refusals)
    assert _server_dump(agency) == before
