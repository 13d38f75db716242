"""The server as a real process: uvicorn with TLS from a certificate issued by the agency root, clients as real
processes. schemathesis over the served OpenAPI document; SIGKILL of the client mid-push, of the server mid-upload
and of the server with pushes queued."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from world import World, make_world, with_signing_keys

from ltc_assess.bundles import export_bundle
from ltc_assess.server.enrol import enrol, enrol_insurer
from ltc_assess.service import ROOT_KEY, AssessmentService, NewAssessment
from ltc_assess.signing.keys import KeyPair
from ltc_assess.signing.tls import issue_server
from ltc_assess.storage.pg.migrations import migrate
from ltc_assess.sync_client import ServerClient

from .conftest import fresh_database, pg_store_do
from .test_server_flow import SIGNERS, _fill

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Live:
    url: str
    root_pem: Path
    conninfo: str
    world: World
    tmp: Path
    tokens: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def _server(conninfo: str, tmp: Path, port: int) -> subprocess.Popen[bytes]:
    """``ltc-assess server`` as a process, listening with TLS."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ltc_assess", "server", "--pg", conninfo, "--listen", f"127.0.0.1:{port}",
         "--tls-cert", str(tmp / "tls.pem"), "--tls-key", str(tmp / "tls.key")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_listening(port, proc)
    return proc


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("live")
    world_iter = make_world(tmp)
    world = next(world_iter)
    with_signing_keys(world, ("a1", "a2", "a3", "sup1", "sup2"))
    office = world.service
    root = KeyPair(office.root_certificate(), (office.store.setting(ROOT_KEY) or "").encode())
    cert, key = issue_server(root, "root-passphrase", ["127.0.0.1", "localhost"], dt.datetime.now(dt.UTC))
    (tmp / "tls.pem").write_bytes(cert)
    (tmp / "tls.key").write_bytes(key)
    (tmp / "root.pem").write_bytes(office.root_certificate())
    port = _free_port()
    with fresh_database() as conninfo:
        migrate(conninfo)
        pg_store_do(conninfo, lambda store: enrol(office, world.admin, store))
        ins_cert, ins_key = pg_store_do(conninfo, lambda store: enrol_insurer(
            office, world.admin, store, "insurer1", "某市医保局", "root-passphrase", "insurer-password",
            tmp / "insurer1"))
        proc = _server(conninfo, tmp, port)
        try:
            url = f"https://127.0.0.1:{port}"
            tokens = {}
            for user in ("a1", "sup1"):
                stored = office.store.user_key(office.store.user_by_name(user).id)  # type: ignore[union-attr]
                client = ServerClient(url, office.root_certificate())
                tokens[user] = client.login(user, stored[0], stored[1], f"{user}-password", office.root_certificate())  # type: ignore[index]
                client.close()
            client = ServerClient(url, office.root_certificate())
            tokens["insurer1"] = client.login("insurer1", ins_cert.read_bytes(), ins_key.read_bytes(),
                                              "insurer-password", office.root_certificate())
            client.close()
            yield Live(url, tmp / "root.pem", conninfo, world, tmp, tokens)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    next(world_iter, None)


def test_the_server_speaks_tls_with_a_certificate_from_the_agency_root_only(live: Live) -> None:
    with pytest.raises(httpx.ConnectError):  # a client that trusts only the system CAs refuses the server
        httpx.get(f"{live.url}/openapi.json", verify=ssl.create_default_context())
    ok = httpx.get(f"{live.url}/openapi.json", verify=ssl.create_default_context(cafile=str(live.root_pem)))
    assert ok.status_code == 200 and ok.json()["openapi"].startswith("3.1")


OFFICE_OPERATIONS = ("GET /api/v1/tasks", "POST /api/v1/tasks")


def _role(operation) -> str:  # type: ignore[no-untyped-def]
    """Each operation is explored with the role it is for (others get a documented 403)."""
    if "insurer" in operation.tags:
        return "insurer1"
    return "sup1" if operation.label in OFFICE_OPERATIONS else "a1"



def test_api_matches_its_openapi_document(live: Live) -> None:
    """schemathesis over the served document, every operation with the role it is for (bounded examples):
    no 5xx, every response as documented (status, content type, body schema)."""
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json", verify=str(live.root_pem))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    for operation in operations:
        _explore(operation, {"Authorization": f"Bearer {live.tokens[_role(operation)]}"}, live)


def _explore(operation, headers: dict[str, str], live: Live) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy())
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case) -> None:  # type: ignore[no-untyped-def]
        # schema-valid requests may still break a rule of the domain (a wrong ID check digit, an unknown assessor):
        # 422 with one line is the answer then, so "positive data acceptance" is not a property of this API
        case.call_and_validate(
            headers=headers, verify=str(live.root_pem), excluded_checks=[schemathesis.checks.positive_data_acceptance]
        )

    check()


def _laptop_with_submissions(live: Live, n: int) -> AssessmentService:
    office = live.world.service
    laptop = AssessmentService(office.backup(live.tmp / f"laptop-{random.randrange(1 << 30)}.db"),
                               clock=live.world.clock, key=office.database_key())
    a1 = laptop.store.user_by_name("a1")
    for _ in range(n):
        record, _ = laptop.start_assessment(a1, NewAssessment(subject_id=live.world.subject.id, form="barthel",
                                                              assessor2_id=live.world.a2.id))
        _fill(laptop, record.id)
        laptop.submit(a1, record.id, SIGNERS)  # type: ignore[arg-type]
    return laptop


def _sync_cli(live: Live, db: Path, url: str | None = None, *more: str) -> subprocess.Popen[bytes]:
    env = os.environ | {"LTC_ASSESS_PASSWORD": "a1-password"}
    return subprocess.Popen(
        [sys.executable, "-m", "ltc_assess", "--db", str(db), "sync", "--server", url or live.url, "--as", "a1",
         "--chunk-bytes", "4096", *more],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _partial_upload(live: Live, since: dt.datetime) -> tuple[int, int] | None:
    """An upload begun since ``since`` (not one of schemathesis's) that has some but not all of its bytes."""
    rows = pg_store_do(live.conninfo, lambda s: s.rows(
        "SELECT received, size FROM uploads WHERE result IS NULL AND received > 0 AND received < size"
        " AND created_at >= %s", [since]))
    return (rows[0]["received"], rows[0]["size"]) if rows else None


def test_sigkill_of_the_client_mid_push_loses_and_doubles_nothing(live: Live) -> None:
    laptop = _laptop_with_submissions(live, 3)
    uids = sorted(laptop.assessment(r["id"]).uid for r in laptop.store.list_assessments())
    db = laptop.path
    laptop.close()
    rng, since = random.Random(15), dt.datetime.now(dt.UTC)
    kills: list[tuple[int, int]] = []  # (bytes the server held, of size) at each kill
    for _trial in range(4):
        proc = _sync_cli(live, db)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            held = _partial_upload(live, since)
            if held is not None and held[0] > (kills[-1][0] if kills else 0):
                time.sleep(rng.uniform(0, 0.3))  # somewhere in the middle of the transfer
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills.append(_partial_upload(live, since) or held)
                break
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert kills, "no kill landed in the middle of an upload"
    assert [k[0] for k in kills] == sorted(k[0] for k in kills)  # each run went on from where the last one stopped
    done = _sync_cli(live, db)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err.decode()
    rows = pg_store_do(live.conninfo, lambda s: s.rows(
        "SELECT uid, status, (SELECT count(*) FROM reports r WHERE r.assessment_id = a.id) AS reports"
        " FROM assessments a WHERE uid = ANY(%s) ORDER BY uid", [uids]))
    assert [r["uid"] for r in rows] == uids  # each once
    assert {r["status"] for r in rows} == {"submitted"}
    assert all(r["reports"] >= 1 for r in rows)
    outbox = Path(f"{db}.outbox")
    assert list(outbox.glob("*.zip")) == [] and list((outbox / "partial").glob("*")) == []
    assert pg_store_do(live.conninfo, lambda s: s.audit_problems()) == []
    # and one more sync changes nothing
    again = _sync_cli(live, db)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0 and "推送 0 个数据包" in out.decode(), out.decode() + err.decode()


def test_sigkill_of_the_server_mid_push_loses_and_doubles_nothing(live: Live) -> None:
    """A second server process on the same database dies mid-upload; the client says so in one line, and the
    next sync (to the surviving server) completes the same upload."""
    laptop = _laptop_with_submissions(live, 2)
    uids = sorted(laptop.assessment(r["id"]).uid for r in laptop.store.list_assessments())
    db = laptop.path
    laptop.close()
    port, since = _free_port(), dt.datetime.now(dt.UTC)
    doomed = _server(live.conninfo, live.tmp, port)
    client = _sync_cli(live, db, f"https://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 120
        while _partial_upload(live, since) is None and client.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        held = _partial_upload(live, since)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        _out, err = client.communicate(timeout=120)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    assert held is not None, "the server was not killed mid-upload"
    assert client.returncode == 2 and "无应答" in err.decode() and err.decode().count("\n") == 1
    done = _sync_cli(live, db)
    _out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err.decode()
    rows = pg_store_do(live.conninfo, lambda s: s.rows(
        "SELECT uid FROM assessments WHERE uid = ANY(%s) ORDER BY uid", [uids]))
    assert [r["uid"] for r in rows] == uids
    leftover = pg_store_do(live.conninfo, lambda s: s.rows(
        "SELECT count(*) AS n FROM uploads WHERE created_at >= %s AND result IS NULL", [since]))
    assert leftover == [{"n": 0}]


def _wait_for(condition, seconds: float = 60) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_sigkill_of_the_server_with_pushes_queued_applies_each_exactly_once_after_restart(live: Live) -> None:
    """Two pushes acknowledged and queued, the first one's verification under way (held at the record's lock),
    when the server dies (SIGKILL): both stay queued, nothing of them is applied; a restarted server applies
    each exactly once, and the laptop, told at first that its push was queued, learns the outcome next sync."""
    office = live.world.service
    laptop, second = _laptop_with_submissions(live, 1), _laptop_with_submissions(live, 1)
    uids = [s.assessment(s.store.list_assessments()[0]["id"]).uid for s in (laptop, second)]
    bundle = live.tmp / f"second-{uids[1]}.zip"
    export_bundle(second, second.store.user_by_name("a1"), "a1-password", bundle)  # type: ignore[arg-type]
    db = laptop.path
    laptop.close()
    second.close()
    with fresh_database() as conninfo:  # a queue of its own: no other server's verifier may take its entries
        migrate(conninfo)
        pg_store_do(conninfo, lambda store: enrol(office, live.world.admin, store))

        def rows(sql: str, args: list[object]) -> list[dict]:  # type: ignore[type-arg]
            return pg_store_do(conninfo, lambda s: s.rows(sql, args))  # type: ignore[no-any-return]

        port = _free_port()
        doomed = _server(conninfo, live.tmp, port)
        try:
            with psycopg.connect(conninfo, autocommit=True) as blocker:
                for uid in uids:  # what a verifier takes before it writes a record: it waits here
                    blocker.execute("SELECT pg_advisory_lock(hashtext(%s))", [uid])
                queued = _sync_cli(live, db, f"https://127.0.0.1:{port}", "--push-wait", "2")
                out, err = queued.communicate(timeout=120)
                assert queued.returncode == 0, err.decode()
                assert "服务器已收到 1 个数据包，尚在核验" in out.decode() and "推送 0 个数据包" in out.decode()
                client = ServerClient(f"https://127.0.0.1:{port}", office.root_certificate())
                stored = office.store.user_key(office.store.user_by_name("a1").id)  # type: ignore[union-attr]
                client.login("a1", stored[0], stored[1], "a1-password", office.root_certificate())  # type: ignore[index]
                assert client.send(bundle)["state"] == "queued"
                client.close()
                waiting = "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = %s"
                name = conninfo.split("dbname=")[-1]
                assert _wait_for(lambda: rows(waiting, [name])[0]["n"] >= 1), "no verification under way"
                doomed.send_signal(signal.SIGKILL)
                doomed.wait()
                assert rows("SELECT state FROM push_queue ORDER BY id", []) == [{"state": "queued"}] * 2
                assert rows("SELECT uid FROM assessments WHERE uid = ANY(%s)", [uids]) == []
        finally:
            if doomed.poll() is None:
                doomed.kill()
                doomed.wait()
        port = _free_port()
        restarted = _server(conninfo, live.tmp, port)
        try:
            done = _sync_cli(live, db, f"https://127.0.0.1:{port}")
            out, err = done.communicate(timeout=300)
            assert done.returncode == 0 and "推送 1 个数据包（写入 1 条记录）" in out.decode(), out.decode() + err.decode()
            assert _wait_for(lambda: rows("SELECT state FROM push_queue WHERE state = 'queued'", []) == [])
        finally:
            restarted.send_signal(signal.SIGTERM)
            restarted.wait(timeout=30)
        assert rows("SELECT state FROM push_queue ORDER BY id", []) == [{"state": "applied"}] * 2
        counted = rows("SELECT uid, count(*) AS n FROM assessments WHERE uid = ANY(%s) GROUP BY uid ORDER BY uid", [uids])
        assert counted == [{"uid": u, "n": 1} for u in sorted(uids)]  # each exactly once
        assert rows("SELECT count(*) AS n FROM audit WHERE action = 'bundle.import'", []) == [{"n": 2}]
        assert list(Path(f"{db}.outbox").glob("*.zip")) == []
        assert pg_store_do(conninfo, lambda s: s.audit_problems()) == []


def test_command_line_dispatch_sync_start_and_insurer_token(live: Live, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """The README's commands against the running server: dispatch, sync, list and start, task states, a token for
    curl; bad input is one line and exit 2."""
    from ltc_assess.cli import main

    office = live.world.service
    laptop = AssessmentService(office.backup(live.tmp / "cli-laptop.db"), clock=live.world.clock,
                               key=office.database_key())
    laptop.close()
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    common = ["--form", "barthel@1", "--a", "a1", "--b", "a2", "--due", due]
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "sup1-password")
    number = live.world.subject.id_number
    assert main(["--db", str(office.path), "tasks", "create", "--server", live.url, "--as", "sup1",
                 "--subject", number, *common]) == 0
    task_uid = capsys.readouterr().out.split()[1]
    assert main(["--db", str(office.path), "tasks", "create", "--server", live.url, "--as", "sup1",
                 "--subject", number, "--form", "barthel@1", "--a", "nobody", "--due", due]) == 2
    err = capsys.readouterr().err
    assert "assessor_a：nobody 不是在职的 assessor" in err and err.count("\n") == 1
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "a1-password")
    db = ["--db", str(live.tmp / "cli-laptop.db")]
    assert main([*db, "sync", "--server", live.url, "--as", "a1"]) == 0
    assert "任务 1" in capsys.readouterr().out
    assert main([*db, "tasks", "list", "--as", "a1"]) == 0
    assert task_uid in capsys.readouterr().out
    assert main([*db, "tasks", "start", task_uid, "--as", "a1"]) == 0
    assert f"已由任务 {task_uid} 开始" in capsys.readouterr().out
    assert main([*db, "sync", "--server", live.url, "--as", "a1"]) == 0  # the draft and the link reach the server
    capsys.readouterr()
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "sup1-password")
    assert main(["--db", str(office.path), "tasks", "status", "--server", live.url, "--as", "sup1"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(task_uid))
    assert " started " in line
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "insurer-password")
    assert main(["server", "token", "--server", live.url, "--cert", str(live.tmp / "insurer1.pem"),
                 "--key", str(live.tmp / "insurer1.key"), "--root", str(live.root_pem)]) == 0
    token = capsys.readouterr().out.strip()
    answer = httpx.get(f"{live.url}/api/v1/decisions", headers={"Authorization": f"Bearer {token}"},
                       verify=ssl.create_default_context(cafile=str(live.root_pem)))
    assert answer.status_code == 200 and "decisions" in answer.json()
    assert main(["server", "--pg", live.conninfo, "--listen", "nonsense"]) == 2
    assert main(["server", "--pg", live.conninfo, "--listen", "0.0.0.0:9"]) == 2  # no TLS off loopback
    assert "只在本机回环地址上监听" in capsys.readouterr().err
