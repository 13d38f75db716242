"""What one request may bring (413 with a clear message), and one refused record holding back nothing else:
a push takes the acceptable records and names the refused one with its reason; a pull delivers everything it
can and moves on. Against the real PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from world import id_number

from ltc_assess import bundle_seal, sync_client
from ltc_assess.errors import AppError
from ltc_assess.exchange.package import read_package, write_package
from ltc_assess.server.app import create_app
from ltc_assess.server.limits import Limits
from ltc_assess.service import NewAssessment
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.keys import KeyPair
from ltc_assess.sync_client import ServerClient

from .conftest import Agency, office_client, pg_store_do
from .test_server_flow import SIGNERS, _fill, _sync

MB = 1024 * 1024


def _submit(agency: Agency, subject_id: int) -> str:
    laptop = agency.laptop1
    a1 = laptop.store.user_by_name("a1")
    record, _ = laptop.start_assessment(
        a1, NewAssessment(subject_id=subject_id, form="barthel", assessor2_id=agency.world.a2.id)
    )
    _fill(laptop, record.id)
    laptop.submit(a1, record.id, SIGNERS)
    return record.uid


def _second_person(agency: Agency) -> int:
    laptop = agency.laptop1
    person, _ = laptop.register_subject(
        laptop.store.user_by_name("a1"), name="王秀英", sex="female", id_number=id_number("11010519360711224")
    )
    return person.id


def _server_uids(agency: Agency) -> list[str]:
    rows = pg_store_do(agency.conninfo, lambda s: s.rows("SELECT uid FROM assessments ORDER BY uid"))
    return [r["uid"] for r in rows]


@pytest.fixture
def a1_client(agency: Agency) -> Iterator[ServerClient]:
    client = office_client(agency, "a1")
    yield client
    client.close()


def test_an_upload_larger_than_the_server_takes_is_refused_with_413(a1_client: ServerClient) -> None:
    english = {"Accept-Language": "en"}
    answer = a1_client.http.post("/api/v1/uploads", json={"sha256": "a" * 64, "size": 300 * MB}, headers=english)
    assert answer.status_code == 413
    assert answer.json()["error"] == "a bundle of 300 MB is more than this server takes (256 MB)"


def test_a_chunk_over_the_limit_is_refused_and_nothing_is_kept(a1_client: ServerClient) -> None:
    data = b"\0" * (5 * MB)
    sha = hashlib.sha256(data).hexdigest()
    a1_client.call("POST", "/api/v1/uploads", json={"sha256": sha, "size": len(data)})
    answer = a1_client.http.patch(
        f"/api/v1/uploads/{sha}",
        content=data,
        headers={"Upload-Offset": "0", "Content-Type": "application/octet-stream"},
    )
    assert answer.status_code == 413 and "an upload chunk may have at most 4 MB" in answer.json()["error"]
    assert a1_client.call("GET", f"/api/v1/uploads/{sha}")["received"] == 0


def test_a_json_body_over_the_limit_is_refused_also_when_streamed(a1_client: ServerClient) -> None:
    big = json.dumps({"username": "x" * (300 * 1024)}).encode()
    declared = a1_client.http.post("/api/v1/auth/challenge", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"] == "a request body may have at most 256 KB"

    def stream() -> Iterator[bytes]:  # no Content-Length: counted while it arrives
        for i in range(0, len(big), 64 * 1024):
            yield big[i : i + 64 * 1024]

    streamed = a1_client.http.post(
        "/api/v1/auth/challenge", content=stream(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413 and "request body may have at most" in streamed.json()["error"]


@pytest.mark.parametrize("agency", [0], indirect=True)  # only the smaller server verifies (its limit applies)
def test_sync_splits_its_work_to_what_the_server_takes_and_a_larger_push_is_413(
    agency: Agency, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, english
) -> None:
    uids = {_submit(agency, agency.world.subject.id), _submit(agency, _second_person(agency))}
    laptop = agency.laptop1
    monkeypatch.setattr(sync_client, "RECORDS_PER_PUSH", 1)
    with TestClient(create_app(agency.conninfo, 2, Limits(records_per_push=1)), base_url=agency.url) as small:
        report = sync_client.sync(laptop, laptop.store.user_by_name("a1"), "a1-password", agency.url, small._transport)
        assert report.refused == [] and [len(p["added"]) for p in report.pushed] == [1, 1]
        assert set(_server_uids(agency)) == uids
        both = tmp_path / "both.zip"
        sync_client.export_bundle(laptop, laptop.store.user_by_name("a1"), "a1-password", both, everything=True)
        client = office_client(replace(agency, transport=small._transport), "a1")
        answer = client.http.post("/api/v1/uploads", json={"sha256": _sha(both), "size": both.stat().st_size})
        assert answer.status_code == 200
        with pytest.raises(AppError, match="a push may carry at most 1 assessments, not 2"):
            client.push(both)
        client.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _padded_bundle(agency: Agency, tmp_path: Path, uid: str) -> Path:
    """a1's genuine bundle of every record, the report of ``uid`` padded past the size a report may have."""
    laptop = agency.laptop1
    genuine = tmp_path / "genuine.zip"
    sync_client.export_bundle(laptop, laptop.store.user_by_name("a1"), "a1-password", genuine, everything=True)
    with bundle_seal.opened(laptop, genuine, 1 << 30) as inner:
        files = read_package(inner)
    meta = {k: v for k, v in json.loads(files["manifest.json"]).items() if k != "files"}
    records = json.loads(files["records.json"])
    report = next(r for r in records if r["uid"] == uid)["reports"][0]
    pdf = base64.b64decode(report["pdf"]) + b"\0" * (21 * MB)
    report |= {"pdf": base64.b64encode(pdf).decode(), "sha256": hashlib.sha256(pdf).hexdigest()}
    out = tmp_path / "padded.zip"
    stored = laptop.store.user_key(agency.world.a1.id)
    write_package(
        out,
        {"records.json": json.dumps(records).encode()},
        meta | {"bundle_id": "e" * 32},
        lambda data: sign_detached(data, KeyPair(*stored), "a1-password", [laptop.root_certificate()]),  # type: ignore[misc]
    )
    return out


def test_a_refused_record_does_not_hold_back_the_rest_of_its_push(agency: Agency, tmp_path: Path) -> None:
    good = _submit(agency, agency.world.subject.id)
    big = _submit(agency, _second_person(agency))
    client = office_client(agency, "a1")
    result = client.push(_padded_bundle(agency, tmp_path, big))
    client.close()
    assert result["added"] == [good]
    assert result["refused"] == [
        f"评估 {big}：报告修订版 1 大小为 21 MB，超过报告允许的 20 MB"
    ]
    assert _server_uids(agency) == [good]
    # the second assessor's laptop gets the accepted record on its next sync
    report = _sync(agency, agency.laptop2, "a2")
    assert report.refused == [] and report.pulled == 1
    assert agency.laptop2.store.assessment_by_uid(good) is not None


def test_a_record_the_laptop_refuses_on_pull_does_not_stall_later_pulls(agency: Agency) -> None:
    first = _submit(agency, agency.world.subject.id)
    second_person = _second_person(agency)
    second = _submit(agency, second_person)
    assert _sync(agency, agency.laptop1, "a1").refused == []
    # a2's laptop already holds another person under the second person's ID number
    laptop2 = agency.laptop2
    laptop2.register_subject(
        laptop2.store.user_by_name("a2"), name="王秀兰", sex="female", id_number=id_number("11010519360711224")
    )
    report = _sync(agency, laptop2, "a2")
    assert report.pulled == 1 and laptop2.store.assessment_by_uid(first) is not None
    assert report.refused == [f"评估 {second}：其评估对象与本机同一编号的评估对象不符"], (
        report.refused
    )
    # later work still arrives: the office returns the first one, and a2's next sync delivers it
    office = agency.office
    assert _sync(agency, office, "sup1").refused == []
    office.return_for_correction(agency.world.sup1, office.store.assessment_by_uid(first).id, "请补充")  # type: ignore[union-attr]
    assert _sync(agency, office, "sup1").refused == []
    again = _sync(agency, laptop2, "a2")
    assert again.refused == [] and again.pulled == 1
    assert laptop2.store.assessment_by_uid(first).status.value == "returned"  # type: ignore[union-attr]
