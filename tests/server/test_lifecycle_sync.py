"""The conclusion's lifecycle through the office server (real PostgreSQL): a laptop submits, the office approves
under 成都's policy, publishes (公示), records the care setting and signs the 告知书; the insurer reads validity,
policy, care setting, the publicity list (masked) and the signed letter; laptops receive the signed records.
Forged lifecycle records pushed by an assessor are refused; the CRL travels through the server."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from world import PNG, raw_sql

from ltc_assess import evidence
from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.server.enrol import enrol_insurer
from ltc_assess.service import NewAssessment
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.crl import build_crl
from ltc_assess.signing.keys import KeyPair, create_root
from ltc_assess.signing.pades import verify_pdf
from ltc_assess.storage.lifecycle_store import LifecycleStore
from ltc_assess.sync_client import ServerClient, sync

from .conftest import Agency, office_client, pg_store_do

SIGNERS = {"assessor1": "a1-password", "assessor2": "a2-password"}


def _sync(agency: Agency, service, user: str):  # type: ignore[no-untyped-def]
    return sync(service, service.store.user_by_name(user), f"{user}-password", agency.url, agency.transport)


PLACE = "成都市武侯区示例路1号"
QUALIFIED = (("a1", "assessor"), ("a2", "expert"), ("sup1", "expert"), ("sup2", "expert"))


def _submitted(agency: Agency, on_site: tuple[str, ...] = ("a1", "a2"), push: bool = True) -> str:
    """An NHSA assessment by a1 and a2 (an expert), ``on_site`` checked in and out (a1 records the identity and
    guardian checks when there), submitted on laptop 1 and pushed (with ``push``); its uid. The laptop and the
    office know the same qualifications (the office's 成都 policy asks for the signed visit)."""
    laptop, w = agency.laptop1, agency.world
    for service in (laptop, agency.office):
        for user, kind in QUALIFIED:
            Lifecycle(service).set_qualification(w.admin, user, kind)
    a1 = laptop.store.user_by_name("a1")
    assert a1 is not None
    record, _ = laptop.start_assessment(
        a1, NewAssessment(subject_id=w.subject.id, form="nhsa-ltc-2021", assessor2_id=w.a2.id)
    )
    for i in range(1, 11):
        laptop.save_answer(a1, record.id, f"ADL.{i}", 0)
    for item in ("COG.1", "COG.2", "COG.3", "COG.4", "SEN.1", "SEN.2", "SEN.3"):
        laptop.save_answer(a1, record.id, item, 0)
    for role in ("assessor1", "assessor2", "informant"):
        laptop.save_signature(a1, record.id, role, PNG)
    lc = Lifecycle(laptop)
    for name in on_site:
        person = laptop.store.user_by_name(name)
        assert person is not None
        lc.check_in(person, record.id, PLACE)
        lc.check_out(person, record.id, PLACE)
    if "a1" in on_site:
        lc.record_checks(a1, record.id, identity_checked=True, guardian_present=True, guardian_name="王小明")
    laptop.submit(a1, record.id, SIGNERS)
    if push:
        assert _sync(agency, laptop, "a1").refused == []
    return record.uid


def approved_at_office(agency: Agency) -> tuple[str, Lifecycle, int]:
    """Submitted on a laptop; at the office (成都): two experts confirm, sup1 approves (not synced yet). Returns
    the uid, the office's lifecycle and the office id."""
    uid = _submitted(agency)
    office, w = agency.office, agency.world
    lc = Lifecycle(office)
    lc.use_city(w.admin, "chengdu")
    for user in ("sup1", "sup2"):
        lc.set_qualification(w.admin, user, "expert")
    _sync(agency, office, "sup1")
    here = office.store.assessment_by_uid(uid)
    assert here is not None
    sup1, sup2 = office.store.user_by_name("sup1"), office.store.user_by_name("sup2")
    for expert in (sup1, sup2):
        lc.confirm(expert, here.id, here.proposed_level)  # type: ignore[arg-type]
    office.approve(sup1, here.id, "sup1-password")
    return uid, lc, here.id


def _lifecycle_done(agency: Agency) -> tuple[str, Lifecycle, int]:
    """Approved at the office (``approved_at_office``), then published, the guardian's care setting, the signed
    letter; pushed. Returns the uid, the office's lifecycle and the office id."""
    uid, lc, aid = approved_at_office(agency)
    office = agency.office
    here, sup1 = office.store.assessment(aid), office.store.user_by_name("sup1")
    today = office.now()[:10]
    lc.publish(sup1, today, today)
    setting = sorted({b.setting for b, _t in lc.policy().benefits_for(lc.conclusion(here.id)["level"])})[0]
    lc.choose_care_setting(sup1, here.id, setting, "王小明", PNG, "子女")  # type: ignore[arg-type]
    lc.letter_pdf(here.id, sup1, "sup1-password")
    report = _sync(agency, office, "sup1")
    assert report.refused == [], report.refused
    return uid, lc, here.id


def _insurer(agency: Agency, tmp_path: Path, name: str = "insurer1") -> ServerClient:
    office = agency.office
    cert, key = pg_store_do(
        agency.conninfo,
        lambda store: enrol_insurer(
            office, agency.world.admin, store, name, "某市医保局", "root-passphrase", "insurer-password", tmp_path / name
        ),
    )
    root = office.root_certificate()
    client = ServerClient(agency.url, root, agency.transport)
    client.login(name, cert.read_bytes(), key.read_bytes(), "insurer-password", root)
    return client


def _lifecycle_rows(agency: Agency) -> list[dict]:
    return pg_store_do(
        agency.conninfo, lambda s: s.rows("SELECT kind, slot, payload FROM lifecycle_records ORDER BY seq")
    )


def test_lifecycle_reaches_the_insurer_and_the_laptops(agency: Agency, tmp_path: Path) -> None:
    uid, lc, aid = _lifecycle_done(agency)
    conclusion = lc.conclusion(aid)
    kinds = sorted(r["kind"] for r in _lifecycle_rows(agency))
    assert kinds == ["care_setting", "conclusion", "letter", "publicity"]
    insurer = _insurer(agency, tmp_path)
    [decision] = insurer.call("GET", "/api/v1/decisions", params={"since": 0})["decisions"]
    assert decision["uid"] == uid and decision["level"] == conclusion["level"]
    assert (decision["policy_ref"], decision["policy_city"], decision["policy_version"]) == (
        conclusion["policy_ref"], "chengdu", 1
    )  # fmt: skip
    assert (decision["valid_from"], decision["valid_until"]) == (conclusion["valid_from"], conclusion["valid_until"])
    assert decision["care_setting"] == lc.service.store.db.execute(
        "SELECT setting FROM care_choices WHERE assessment_id = ?", [aid]
    ).fetchone()[0]
    assert decision["published_at"] == conclusion["published_at"] and decision["objection_until"]
    report = insurer.call("GET", f"/api/v1/decisions/{uid}/report.pdf")
    assert hashlib.sha256(report).hexdigest() == decision["report_sha256"]
    letter = insurer.call("GET", f"/api/v1/decisions/{uid}/letter.pdf")
    assert hashlib.sha256(letter).hexdigest() == decision["letter_sha256"]
    verdict = verify_pdf(letter, [agency.office.root_certificate()])
    assert verdict.ok and verdict.signatures[-1].username == "sup1"
    (tmp_path / "letter.pdf").write_bytes(letter)
    # the 公示名单: masked name and ID number, only what the list shows
    today = agency.office.now()[:10]
    [entry] = insurer.call("GET", "/api/v1/publicity", params={"from": today, "to": today})["entries"]
    person = agency.world.subject
    assert entry["uid"] == uid and entry["name"] != person.name and entry["name"][0] == person.name[0]
    assert entry["id_number"] != person.id_number and "*" in entry["id_number"]
    assert entry["id_number"][-4:] == person.id_number[-4:]
    assert set(entry) == {
        "uid", "name", "id_number", "district", "level", "eligible", "decided_at", "policy_ref",
        "valid_from", "valid_until", "published_at", "publicity_until", "objection_until",
    }  # fmt: skip
    insurer.close()
    # laptop 1 (a1 took part) receives the signed records: the conclusion and its 公示 are there, one each
    report2 = _sync(agency, agency.laptop1, "a1")
    assert report2.refused == [], report2.refused
    laptop_record = agency.laptop1.store.assessment_by_uid(uid)
    here = LifecycleStore(agency.laptop1.store.db).conclusion(laptop_record.id)  # type: ignore[union-attr]
    assert here is not None and {k: here[k] for k in ("valid_until", "published_at", "policy_ref")} == {
        k: conclusion[k] for k in ("valid_until", "published_at", "policy_ref")
    }
    # idempotent: syncing both sides again writes nothing new anywhere
    before = _lifecycle_rows(agency)
    assert _sync(agency, agency.office, "sup1").refused == []
    assert _sync(agency, agency.laptop1, "a1").pulled == 0
    assert _lifecycle_rows(agency) == before


def test_usb_bundle_and_sync_of_the_same_lifecycle_give_one_record(agency: Agency, tmp_path: Path) -> None:
    uid, lc, aid = _lifecycle_done(agency)
    usb = tmp_path / "office.zip"
    export_bundle(agency.office, agency.world.sup1, "sup1-password", usb, everything=True)
    laptop = agency.laptop2
    summary = import_bundle(laptop, agency.world.sup2, usb)
    assert sorted(s.split(":")[0] for s in summary.lifecycle) == ["care_setting", "conclusion", "letter", "publicity"]
    again = import_bundle(laptop, agency.world.sup2, usb)
    assert again.already_imported
    before = _lifecycle_rows(agency)
    report = _sync(agency, laptop, "sup2")  # the same facts arrive again over the network: unchanged
    assert report.refused == [], report.refused
    assert _lifecycle_rows(agency) == before
    rows = laptop.store.db.execute("SELECT count(*) FROM lifecycle_records WHERE assessment_uid = ?", [uid]).fetchone()
    assert rows[0] == 4


def _push_forged(agency: Agency, tmp_path: Path, items: list[dict]) -> list[str]:
    """A bundle signed with a1's own key (a valid account) carrying ``items`` as its lifecycle.json."""
    from ltc_assess.exchange.package import write_package

    laptop = agency.laptop1
    stored = laptop.store.user_key(agency.world.a1.id)
    forged = tmp_path / f"forged-{len(list(tmp_path.iterdir()))}.zip"
    meta = {"format": "ltc-assess-bundle", "format_version": 1, "bundle_id": hashlib.md5(forged.name.encode()).hexdigest(),
            "created_at": laptop.now(), "created_by": "a1", "counts": {}}  # fmt: skip
    write_package(
        forged,
        {"records.json": b"[]", "lifecycle.json": json.dumps(items).encode()},
        meta,
        lambda data: sign_detached(data, KeyPair(*stored), "a1-password", [laptop.root_certificate()]),
    )
    client = office_client(agency, "a1")
    try:
        with pytest.raises(BundleRefused) as refused:
            client.push(forged)
    finally:
        client.close()
    return refused.value.refusals


def _signed(agency: Agency, user: str, payload: dict, attachment: bytes | None = None) -> dict:
    office = agency.office
    stored = office.store.user_key(office.store.user_by_name(user).id)  # type: ignore[union-attr]
    text = evidence.canonical(payload | {"signer": user})
    signature = sign_detached(text.encode(), KeyPair(*stored), f"{user}-password", [office.root_certificate()])
    return {
        "kind": payload["kind"],
        "payload": text,
        "signature": base64.b64encode(signature).decode(),
        "attachment": base64.b64encode(attachment).decode() if attachment else None,
    }


def test_an_assessor_cannot_forge_publicity_validity_objection_or_letter(agency: Agency, tmp_path: Path) -> None:
    uid, lc, aid = _lifecycle_done(agency)
    held = {r["kind"]: json.loads(r["payload"]) for r in _lifecycle_rows(agency)}
    before = _lifecycle_rows(agency)
    strip = {"signer"}
    publicity = {k: v for k, v in held["publicity"].items() if k not in strip}
    conclusion = {k: v for k, v in held["conclusion"].items() if k not in strip}
    # an assessor signs a later 公示 (a new objection window), an objection outcome, a validity and a letter
    later = publicity | {"objection_until": "2099-12-31"}
    refusals = _push_forged(agency, tmp_path, [_signed(agency, "a1", later)])
    assert any("须由 supervisor 签署" in r for r in refusals), refusals
    refusals = _push_forged(agency, tmp_path, [_signed(agency, "a1", conclusion | {"valid_until": "2099-12-31"})])
    assert any("须由 supervisor 签署" in r for r in refusals), refusals
    objection = {"kind": "objection", "assessment": uid, "lodged_at": "2026-01-01T00:00:00+00:00",
                 "lodged_by": "张三", "reason": "不服"}  # fmt: skip
    refusals = _push_forged(agency, tmp_path, [_signed(agency, "a1", objection)])
    assert any("须由 supervisor 签署" in r for r in refusals), refusals
    letter = agency.office.store.db.execute(
        "SELECT attachment FROM lifecycle_records WHERE kind = 'letter'"
    ).fetchone()[0]
    fake = bytes(letter) + b"\n%forged"
    forged_letter = {"kind": "letter", "assessment": uid, "letter_sha256": hashlib.sha256(fake).hexdigest()}
    refusals = _push_forged(agency, tmp_path, [_signed(agency, "a1", forged_letter, fake)])
    assert any("须由 supervisor 签署" in r for r in refusals), refusals
    # even a supervisor's signature does not make a validity the policy does not give, nor a changed 公示
    refusals = _push_forged(agency, tmp_path, [_signed(agency, "sup2", later)])
    assert any("冲突" in r for r in refusals), refusals
    other_uid = _submitted(agency)  # submitted, not approved: no lifecycle at all
    moved = conclusion | {"assessment": other_uid}
    refusals = _push_forged(agency, tmp_path, [_signed(agency, "sup2", moved)])
    assert any("未批准" in r for r in refusals), refusals
    # a supervisor's letter whose PDF was altered after signing
    refusals = _push_forged(agency, tmp_path, [_signed(agency, "sup2", forged_letter, fake)])
    assert any("letter" in r for r in refusals), refusals
    # a record signed by a1 that claims sup1 signed it
    claimed = _signed(agency, "a1", later)
    claimed["payload"] = evidence.canonical(later | {"signer": "sup1"})
    refusals = _push_forged(agency, tmp_path, [claimed])
    assert any("签名在本机构根证书下无效" in r or "实际签署人" in r for r in refusals), refusals
    assert _lifecycle_rows(agency) == before


def test_a_validity_forged_by_sql_on_the_office_is_refused(agency: Agency) -> None:
    """The insider edits the conclusion's valid_until in the SQLite file, then a supervisor syncs: signed
    by sup1, it still does not follow from the policy and the approval."""
    uid = _submitted(agency)
    office, w = agency.office, agency.world
    lc = Lifecycle(office)
    lc.use_city(w.admin, "chengdu")
    for user in ("sup1", "sup2"):
        lc.set_qualification(w.admin, user, "expert")
    _sync(agency, office, "sup1")
    here = office.store.assessment_by_uid(uid)
    for expert in ("sup1", "sup2"):
        lc.confirm(office.store.user_by_name(expert), here.id, here.proposed_level)  # type: ignore[arg-type, union-attr]
    office.approve(office.store.user_by_name("sup1"), here.id, "sup1-password")  # type: ignore[arg-type, union-attr]
    con = raw_sql(office)
    con.execute("DROP TRIGGER conclusions_fixed")
    con.execute("UPDATE conclusions SET valid_until = '2099-12-31' WHERE assessment_id = ?", [here.id])  # type: ignore[union-attr]
    con.commit()
    con.close()
    report = _sync(agency, office, "sup1")
    assert any("valid_until" in r for r in report.refused), report.refused
    assert [r["kind"] for r in _lifecycle_rows(agency)] == []


def test_the_insurer_sees_only_approved_decisions_and_only_insurer_doors(
    agency: Agency, tmp_path: Path, english: None
) -> None:  # the refusals are matched in English (the client asks for the language of the moment)
    uid, _lc, _aid = _lifecycle_done(agency)
    submitted = _submitted(agency)  # another one, not approved
    insurer = _insurer(agency, tmp_path)
    decisions = insurer.call("GET", "/api/v1/decisions", params={"since": 0})["decisions"]
    assert [d["uid"] for d in decisions] == [uid]
    for path in (f"/api/v1/decisions/{submitted}/report.pdf", f"/api/v1/decisions/{submitted}/letter.pdf"):
        with pytest.raises(Exception, match="no approved decision"):
            insurer.call("GET", path)
    today = agency.office.now()[:10]
    entries = insurer.call("GET", "/api/v1/publicity", params={"from": today, "to": today})["entries"]
    assert [e["uid"] for e in entries] == [uid]
    for door in ("/api/v1/sync/lifecycle", "/api/v1/sync/crl", "/api/v1/sync/changes"):
        with pytest.raises(Exception, match="insurer may not"):
            insurer.call("GET", door)
    insurer.close()
    for user in ("a1", "sup1"):
        worker = office_client(agency, user)
        for door in ("/api/v1/decisions", f"/api/v1/decisions/{uid}/letter.pdf"):
            with pytest.raises(Exception, match="may not"):
                worker.call("GET", door)
        with pytest.raises(Exception, match="may not"):
            worker.call("GET", "/api/v1/publicity", params={"from": today, "to": today})
        worker.close()
    # an assessor who took no part receives none of its lifecycle records
    a3 = office_client(agency, "a3")
    assert a3.call("GET", "/api/v1/sync/lifecycle", params={"since": 0})["records"] == []
    a3.close()


def test_the_server_hands_on_the_agency_crl_and_refuses_a_forged_one(agency: Agency, tmp_path: Path) -> None:
    office, w = agency.office, agency.world
    crl = office.pki.issue_crl(w.admin.id, "root-passphrase")
    assert _sync(agency, office, "sup1").refused == []  # the office's push carries its CRL
    held = pg_store_do(agency.conninfo, lambda s: s.setting("crl_pem"))
    assert held is not None and held.encode() == crl
    laptop = agency.laptop1
    assert laptop.pki.current_crl() != crl  # an older one (or none)
    assert _sync(agency, laptop, "a1").refused == []
    assert laptop.pki.current_crl() == crl
    # a CRL not signed by the agency root, placed on the server (a compromised server): the laptop refuses it
    other = create_root("other agency", "other-passphrase", dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    forged = build_crl(other, "other-passphrase", [], number=99, now=dt.datetime.now(dt.UTC))

    def plant(store) -> None:  # type: ignore[no-untyped-def]
        store.set_setting("crl_pem", forged.decode())
        store.set_setting("crl_number", "99")

    pg_store_do(agency.conninfo, plant)
    report = _sync(agency, laptop, "a1")
    assert any("CRL" in r for r in report.refused), report.refused
    assert laptop.pki.current_crl() == crl


def test_server_check_finds_a_lifecycle_record_edited_in_postgresql(agency: Agency) -> None:
    from ltc_assess.server.checks import problems

    _lifecycle_done(agency)
    assert pg_store_do(agency.conninfo, problems) == []

    def edit(store) -> None:  # type: ignore[no-untyped-def]
        row = store.one("SELECT fact, payload FROM lifecycle_records WHERE kind = 'conclusion'")
        payload = json.loads(row["payload"]) | {"valid_until": "2099-12-31"}
        store.con.execute("UPDATE lifecycle_records SET payload = %s WHERE fact = %s", [json.dumps(payload), row["fact"]])
        store.con.execute("UPDATE lifecycle_records SET attachment = attachment || 'x'::bytea WHERE kind = 'letter'")

    pg_store_do(agency.conninfo, edit)
    found = pg_store_do(agency.conninfo, problems)
    assert any(line.startswith("评估 ") and " 的 conclusion 记录：" in line and "签名" in line for line in found), found
    assert any(line.startswith("评估 ") and " 的 letter 记录：" in line and "sha256" in line for line in found), found
