"""``ltc-assess review decide|approve|return``: the supervisor's decisions without the UI, in a real subprocess
on a real demo database, with the service's checks (role, separation of duties, reason, workflow state)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import as_user, run

from ltc_assess.signing.attach import submitted_report
from ltc_assess.signing.pades import verify_pdf

pytestmark = pytest.mark.slow  # real subprocesses on a demo database


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("review") / "demo.db"
    assert run("demo", "--db", str(path)).returncode == 0
    return path


def _submitted(db: Path, form: str) -> dict:
    rows = json.loads(as_user("supervisor1", "assessments", "list", "--json", "--status", "submitted", "--db", str(db)).stdout)
    return next(r for r in rows if r["form_id"] == form)


def _refused(proc, text: str) -> None:  # type: ignore[no-untyped-def]
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1 and text in proc.stderr


def test_decide_and_approve_headless(demo_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Test that a supervisor decides another level with a reason and approves from the command line, the signed
    approved report stating that level; a changed level without a reason, an assessor and a wrong password are
    refused with one line and exit 2."""
    row = _submitted(demo_db, "barthel")
    aid, db = str(row["id"]), str(demo_db)
    level = str((row["proposed_level"] + 1) % 4)
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "demo-supervisor1")
    _refused(run("review", "decide", aid, "--level", level, "--as", "supervisor1", "--db", db), "理由")
    proc = run("review", "decide", aid, "--level", level, "--reason", "现场复核", "--as", "supervisor1", "--db", db)
    assert proc.returncode == 0 and f"决定等级 {level}" in proc.stdout, proc.stderr
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "wrong-password")
    _refused(run("review", "approve", aid, "--as", "supervisor1", "--db", db), "APP_007")
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "demo-assessor1")
    _refused(run("review", "approve", aid, "--as", "assessor1", "--db", db), "[APP_002]")
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "demo-supervisor1")
    proc = run("review", "approve", aid, "--as", "supervisor1", "--db", db)
    assert proc.returncode == 0 and f"已批准，等级 {level}" in proc.stdout, proc.stderr
    rows = json.loads(as_user("supervisor1", "assessments", "list", "--json", "--status", "approved", "--db", db).stdout)
    assert next(r for r in rows if r["id"] == row["id"])["decided_level"] == int(level)
    pdf, root = tmp_path / "r.pdf", tmp_path / "root.pem"
    assert as_user("supervisor1", "report", aid, "--out", str(pdf), "--db", db).returncode == 0
    assert as_user("supervisor1", "keys", "root", "--out", str(root), "--db", db).returncode == 0
    data = pdf.read_bytes()
    assert verify_pdf(data, [root.read_bytes()]).ok and submitted_report(data) is not None
    _refused(run("review", "approve", aid, "--as", "supervisor1", "--db", db), "APP_003")  # already approved


def test_return_headless(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that a supervisor returns a submitted assessment with a comment; an empty comment is refused."""
    row = _submitted(demo_db, "mzt039-2013")
    aid, db = str(row["id"]), str(demo_db)
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "demo-supervisor2")
    _refused(run("review", "return", aid, "--comment", " ", "--as", "supervisor2", "--db", db), "退回")
    proc = run("review", "return", aid, "--comment", "B.2.3 请复核", "--as", "supervisor2", "--db", db)
    assert proc.returncode == 0 and "已退回" in proc.stdout, proc.stderr
    rows = json.loads(as_user("supervisor2", "assessments", "list", "--json", "--status", "returned", "--db", db).stdout)
    assert row["id"] in [r["id"] for r in rows]
