"""Issue 15's "Done when", tried as a new agency would, with README's commands: a fresh PostgreSQL database,
``ltc-assess server`` as a real process with TLS from the agency root, two laptops (two SQLite files) syncing
through it, a supervisor approving from another desktop, the lifecycle (公示, care setting, signed 告知书) done
there, and ``curl`` on the insurer API returning the decision, its report, its letter and the 公示名单."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from world import PNG, World, with_signing_keys

from ltc_assess.cli import main
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.signing.pades import verify_pdf
from ltc_assess.storage.lifecycle_store import LifecycleStore

from .conftest import fresh_database
from .test_live_server import _free_port, _wait_listening

SIGNERS = {"assessor1": "a1-password", "assessor2": "a2-password"}


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], password: str, *args: str) -> str:
    """One README command (in process, as the console script runs it); its output; exit 0 required."""
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", password)
    code = main(list(args))
    out = capsys.readouterr()
    assert code == 0, (args, out.err)
    return out.out


def _curl(root: Path, token: str, url: str, out: Path | None = None) -> bytes:
    cmd = ["curl", "--silent", "--fail", "--cacert", str(root), "-H", f"Authorization: Bearer {token}", url]
    if out is not None:
        cmd[1:1] = ["-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, timeout=60, check=True)
    return out.read_bytes() if out is not None else done.stdout


def _submit_on_laptop(path: Path, world: World) -> str:
    """The assessor's work in the app on laptop 1 under 成都's protocol: visit, answers, signatures, advice."""
    service = AssessmentService(path, clock=world.clock, key=world.service.database_key())
    try:
        lc, a1, a2 = Lifecycle(service), service.store.user_by_name("a1"), service.store.user_by_name("a2")
        new = NewAssessment(subject_id=world.subject.id, form="nhsa-ltc-2021", assessor2_id=a2.id)  # type: ignore[union-attr]
        record, _ = service.start_assessment(a1, new)  # type: ignore[arg-type]
        for person in (a1, a2):
            lc.check_in(person, record.id, "成都市武侯区示例路1号")  # type: ignore[arg-type]
            lc.check_out(person, record.id, "成都市武侯区示例路1号")  # type: ignore[arg-type]
        lc.record_checks(a1, record.id, identity_checked=True, guardian_present=True, guardian_name="王小明")  # type: ignore[arg-type]
        for i in range(1, 11):
            service.save_answer(a1, record.id, f"ADL.{i}", 0)  # type: ignore[arg-type]
        for item in ("COG.1", "COG.2", "COG.3", "COG.4", "SEN.1", "SEN.2", "SEN.3"):
            service.save_answer(a1, record.id, item, 0)  # type: ignore[arg-type]
        for role in ("assessor1", "assessor2", "informant"):
            service.save_signature(a1, record.id, role, PNG)  # type: ignore[arg-type]
        lc.save_care_advice(a1, record.id, lc.care_advice(record.id))  # type: ignore[arg-type]
        service.submit(a1, record.id, SIGNERS)  # type: ignore[arg-type]
        return record.uid
    finally:
        service.close()


def _local(path: Path, world: World, uid: str) -> tuple[int, dict | None]:
    service = AssessmentService(path, clock=world.clock, key=world.service.database_key())
    try:
        record = service.store.assessment_by_uid(uid)
        assert record is not None, f"{uid} is not in {path.name}"
        return record.id, LifecycleStore(service.store.db).conclusion(record.id)
    finally:
        service.close()


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("pdftoppm") is None, reason="curl, pdftoppm")
def test_a_new_agency_from_server_start_to_the_insurers_curl(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_signing_keys(world, ("a1", "a2", "sup1", "sup2"))
    office = world.service
    monkeypatch.setenv("LTC_ASSESS_ROOT_PASSPHRASE", "root-passphrase")
    db = ["--db", str(office.path)]
    # the admin's set-up at the office: the city, the staff's qualifications
    _cli(monkeypatch, capsys, "admin-pass", *db, "policies", "use", "chengdu", "--as", "admin")
    for user, kind in (("a1", "assessor"), ("a2", "expert"), ("sup1", "expert"), ("sup2", "expert")):
        _cli(monkeypatch, capsys, "admin-pass", *db, "visit", "qualify", user, kind, "--as", "admin")
    # two laptops and a second office desktop provisioned as copies of the office database
    laptop1, laptop2, desktop = (office.backup(tmp_path / f"{n}.db") for n in ("laptop1", "laptop2", "desktop2"))
    root = tmp_path / "root.pem"
    _cli(monkeypatch, capsys, "admin-pass", *db, "keys", "root", "--out", str(root), "--as", "admin")
    with fresh_database() as pg:
        _cli(monkeypatch, capsys, "admin-pass", "server", "migrate", "--pg", pg)
        _cli(monkeypatch, capsys, "admin-pass", *db, "server", "enrol", "--pg", pg, "--as", "admin")
        tls = tmp_path / "server"
        _cli(monkeypatch, capsys, "admin-pass", *db, "server", "tls-cert", "--host", "127.0.0.1", "--out", str(tls),
             "--as", "admin")  # fmt: skip
        port = _free_port()
        url = f"https://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "ltc_assess", "server", "--pg", pg, "--listen", f"127.0.0.1:{port}",
             "--tls-cert", f"{tls}.pem", "--tls-key", f"{tls}.key"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        try:
            _wait_listening(port, proc)
            # laptop 1: the visit and the submission, then sync; laptop 2 (the second assessor) syncs too
            uid = _submit_on_laptop(laptop1, world)
            sync1 = ["--db", str(laptop1), "sync", "--server", url, "--as", "a1"]
            synced = _cli(monkeypatch, capsys, "a1-password", *sync1)  # the CLI speaks Chinese here (LTC_LANG)
            assert "拒绝" not in synced and "refused" not in synced.lower().replace("refused 0", "")
            _cli(monkeypatch, capsys, "a2-password", "--db", str(laptop2), "sync", "--server", url, "--as", "a2")
            assert _local(laptop2, world, uid)[1] is None  # there, submitted: no conclusion yet
            # the supervisor's other desktop: pull, experts confirm, approve, 公示, care setting, letter, push
            d2 = ["--db", str(desktop)]
            _cli(monkeypatch, capsys, "sup1-password", *d2, "sync", "--server", url, "--as", "sup1")
            aid, _none = _local(desktop, world, uid)
            level = json.loads(_cli(monkeypatch, capsys, "sup1-password", *d2, "assessments", "list", "--json",
                                    "--as", "sup1"))  # fmt: skip
            proposed = next(r["proposed_level"] for r in level if r["id"] == aid)
            for expert in ("sup1", "sup2"):
                _cli(monkeypatch, capsys, f"{expert}-password", *d2, "visit", "confirm", str(aid),
                     "--level", str(proposed), "--as", expert)  # fmt: skip
            _cli(monkeypatch, capsys, "sup1-password", *d2, "review", "approve", str(aid), "--as", "sup1")
            today = dt.datetime.now(dt.UTC).date().isoformat()  # the commands' clock
            _cli(monkeypatch, capsys, "sup1-password", *d2, "publicity", "--from", today, "--to", today,
                 "--out", str(tmp_path / "publicity.pdf"), "--as", "sup1")  # fmt: skip
            (tmp_path / "sig.png").write_bytes(PNG)
            _cli(monkeypatch, capsys, "sup1-password", *d2, "advice", "choose", str(aid), "--setting", "home",
                 "--signer", "王小明", "--relation", "子女", "--signature", str(tmp_path / "sig.png"), "--as", "sup1")  # fmt: skip
            _cli(monkeypatch, capsys, "sup1-password", *d2, "letter", str(aid), "--out", str(tmp_path / "local.pdf"),
                 "--as", "sup1")  # fmt: skip
            _cli(monkeypatch, capsys, "sup1-password", *d2, "sync", "--server", url, "--as", "sup1")
            _aid, decided = _local(desktop, world, uid)
            assert decided is not None and decided["published_at"] == today
            # both laptops learn the conclusion with its validity and 公示
            for path, user in ((laptop1, "a1"), (laptop2, "a2")):
                _cli(monkeypatch, capsys, f"{user}-password", "--db", str(path), "sync", "--server", url, "--as", user)
                _id, there = _local(path, world, uid)
                assert there is not None
                assert (there["valid_until"], there["published_at"]) == (decided["valid_until"], today)
            # the insurer: an account and certificate, a token, and curl
            monkeypatch.setenv("LTC_ASSESS_NEW_PASSWORD", "insurer-password")
            _cli(monkeypatch, capsys, "admin-pass", *db, "server", "insurer", "insurer1", "--name", "某市医保局",
                 "--out", str(tmp_path / "insurer1"), "--pg", pg, "--as", "admin")  # fmt: skip
            token = _cli(monkeypatch, capsys, "insurer-password", "server", "token", "--server", url,
                         "--cert", str(tmp_path / "insurer1.pem"), "--key", str(tmp_path / "insurer1.key"),
                         "--root", str(root)).strip()  # fmt: skip
            [decision] = json.loads(_curl(root, token, f"{url}/api/v1/decisions?since=0"))["decisions"]
            assert decision["uid"] == uid and decision["level"] == decided["level"]
            assert (decision["policy_city"], decision["valid_until"], decision["care_setting"]) == (
                "chengdu", decided["valid_until"], "home"
            )  # fmt: skip
            report = _curl(root, token, f"{url}/api/v1/decisions/{uid}/report.pdf", tmp_path / "report.pdf")
            assert hashlib.sha256(report).hexdigest() == decision["report_sha256"]
            letter = _curl(root, token, f"{url}/api/v1/decisions/{uid}/letter.pdf", tmp_path / "letter.pdf")
            assert hashlib.sha256(letter).hexdigest() == decision["letter_sha256"]
            for pdf, last in ((report, "sup1"), (letter, "sup1")):
                verdict = verify_pdf(pdf, [root.read_bytes()])
                assert verdict.ok and verdict.signatures[-1].username == last
            [entry] = json.loads(_curl(root, token, f"{url}/api/v1/publicity?from={today}&to={today}"))["entries"]
            assert entry["uid"] == uid and "*" in entry["id_number"] and entry["name"] != world.subject.name
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(tmp_path / "letter.pdf"),
                            str(tmp_path / "letter")], check=True, timeout=60)  # fmt: skip
            assert list(tmp_path.glob("letter*.png"))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
