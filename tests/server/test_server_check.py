"""``server check`` against an insider with PostgreSQL superuser rights. Each sync ends with the user's signed
checkpoint of the server's audit head, so a chain cut short, or edited with every hash after it recomputed (which
the plain hash-chain check cannot see), is found; a record edited by SQL no longer matches its signed evidence."""

from __future__ import annotations

import base64
import hashlib
import json

import psycopg
import pytest

from ltc_assess import evidence
from ltc_assess.cli import main
from ltc_assess.service.attestation import checkpoint_payload
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.keys import KeyPair
from ltc_assess.storage.pg.repository import GENESIS

from .conftest import Agency, office_client, pg_store_do
from .test_limits import _submit
from .test_server_flow import _sync


def _check(agency: Agency, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["server", "check", "--pg", agency.conninfo])
    return code, capsys.readouterr().out


def _insider(agency: Agency) -> psycopg.Connection:
    con = psycopg.connect(agency.conninfo, autocommit=True)
    con.execute("ALTER TABLE audit DISABLE TRIGGER audit_no_change")
    return con


def _recompute(con: psycopg.Connection) -> None:
    """Every hash rebuilt by the server's own formula: the chain is consistent again."""
    prev = GENESIS
    for row in con.execute("SELECT id, at, actor, action, entity, entity_id, data FROM audit ORDER BY id").fetchall():
        text = json.dumps(list(row[1:]), sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256((prev + text).encode()).hexdigest()
        con.execute("UPDATE audit SET prev_hash = %s, hash = %s WHERE id = %s", [prev, digest, row[0]])
        prev = digest


def test_a_sync_ends_with_a_signed_checkpoint_and_check_holds_the_chain_to_it(
    agency: Agency, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = _submit(agency, agency.world.subject.id)
    report = _sync(agency, agency.laptop1, "a1")
    stored = pg_store_do(agency.conninfo, lambda s: s.rows("SELECT audit_id, signed_by FROM audit_checkpoints"))
    assert stored == [{"audit_id": report.checkpoint, "signed_by": "a1"}]
    assert _check(agency, capsys) == (0, "服务器审计链及其签名检查点：完好\n")
    with _insider(agency) as con:  # the submission's audit row rewritten to another status, hashes recomputed
        con.execute(
            """UPDATE audit SET action = 'assessment.draft' WHERE entity_id = %s AND action = 'assessment.submitted'""",
            [uid],
        )
        _recompute(con)
    code, out = _check(agency, capsys)
    assert code == 1 and "哈希链已断开" not in out
    assert f"审计记录 {report.checkpoint} 与 a1 签名的内容不同" in out


def test_a_chain_cut_short_behind_the_last_checkpoint_is_found(
    agency: Agency, capsys: pytest.CaptureFixture[str]
) -> None:
    _submit(agency, agency.world.subject.id)
    checkpoint = _sync(agency, agency.laptop1, "a1").checkpoint
    with _insider(agency) as con:
        con.execute("DELETE FROM audit WHERE id >= %s", [checkpoint])
    code, out = _check(agency, capsys)
    assert code == 1 and "哈希链已断开" not in out
    assert f"a1 签名的审计记录 {checkpoint} 缺失" in out


def test_checkpoints_are_refused_unless_the_caller_signed_the_row_as_it_is(agency: Agency, english: None) -> None:
    office = agency.office
    a1 = office_client(agency, "a1")
    head = a1.call("GET", "/api/v1/audit/head")

    def signed(user: str, audit_hash: str) -> dict[str, str]:
        stored = office.store.user_key(office.store.user_by_name(user).id)  # type: ignore[union-attr]
        root = office.root_certificate()
        record = evidence.sign(
            "checkpoint",
            checkpoint_payload(head["audit_id"], audit_hash, "2026-12-01T10:00:00+00:00", user),
            lambda data: sign_detached(data, KeyPair(*stored), f"{user}-password", [root]),  # type: ignore[misc]
        )
        return {"payload": record.payload, "signature": base64.b64encode(record.signature).decode()}

    someone_elses = a1.http.post("/api/v1/audit/checkpoints", json=signed("a2", head["hash"]))
    assert someone_elses.status_code == 403 and "signed by 'a2', sent by a1" in someone_elses.json()["error"]
    wrong_hash = a1.http.post("/api/v1/audit/checkpoints", json=signed("a1", "0" * 64))
    assert wrong_hash.status_code == 409 and "does not have the signed hash" in wrong_hash.json()["error"]
    tampered = signed("a1", head["hash"]) | {"payload": json.dumps({"kind": "checkpoint", "signer": "a1"})}
    assert a1.http.post("/api/v1/audit/checkpoints", json=tampered).status_code == 422
    assert a1.http.post("/api/v1/audit/checkpoints", json=signed("a1", head["hash"])).status_code == 201
    a1.close()
    rows = pg_store_do(agency.conninfo, lambda s: s.rows("SELECT signed_by FROM audit_checkpoints"))
    assert rows == [{"signed_by": "a1"}]


def test_check_finds_a_record_edited_in_postgresql_against_its_signed_evidence(
    agency: Agency, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = _submit(agency, agency.world.subject.id)
    _sync(agency, agency.laptop1, "a1")
    assert _check(agency, capsys)[0] == 0
    with psycopg.connect(agency.conninfo, autocommit=True) as con:  # the insider: one answer changed by SQL
        con.execute(
            """UPDATE assessments SET record = jsonb_set(record, '{answers,BI.1}', '10') WHERE uid = %s""", [uid]
        )
    code, out = _check(agency, capsys)
    assert code == 1
    assert f"评估 {uid}：记录与其签名人在 submission 记录中签署的内容不符（answers）" in out
