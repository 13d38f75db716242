"""The issue's forged-approval attack end to end with the real command line, on copies of the demo database."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cli_runner import as_user, run
from world import insider_sql, snapshot

pytestmark = pytest.mark.slow


def _dump(path: Path) -> list[object]:
    con = insider_sql(path, "supervisor1", "demo-supervisor1")
    try:
        return snapshot(con)
    finally:
        con.close()


def test_forged_approval_bundle_is_refused_at_the_office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test: SQL on the laptop marks assessor1's submitted assessment approved by supervisor1 at level 0; the
    bundle (encrypted, 0600) is refused at the office with one line naming the record, exit 2, office unchanged;
    db check names the forgery on the laptop."""
    demo = tmp_path / "demo.db"
    assert run("demo", "--db", str(demo)).returncode == 0
    laptop, office = tmp_path / "laptop.db", tmp_path / "office.db"
    for copy in (laptop, office):
        assert as_user("admin", "db", "backup", "--out", str(copy), "--db", str(demo)).returncode == 0
    con = insider_sql(laptop, "assessor1", "demo-assessor1")  # the assessor's own password opens the file
    aid, uid = con.execute(
        "SELECT a.id, a.uid FROM assessments a JOIN users u ON u.id IN (a.assessor1_id, a.assessor2_id) "
        "WHERE a.status = 'submitted' AND u.username = 'assessor1' ORDER BY a.id LIMIT 1"
    ).fetchone()
    sup1 = con.execute("SELECT id FROM users WHERE username = 'supervisor1'").fetchone()[0]
    con.execute(
        "UPDATE assessments SET status = 'approved', decided_level = 0, decided_by = ?, approved_by = ?, "
        "approved_at = '2026-11-30T10:00:00+00:00' WHERE id = ?",
        [sup1, sup1, aid],
    )
    con.close()
    check = as_user("assessor1", "db", "check", "--db", str(laptop))
    assert check.returncode == 1
    assert f"评估 {aid}：已批准，但没有审核员签名的批准记录" in check.stderr

    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "demo-assessor1")
    bundle = tmp_path / "forged.zip"
    assert run("bundle", "export", "--out", str(bundle), "--as", "assessor1", "--db", str(laptop)).returncode == 0
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    assert b"PK" not in bundle.read_bytes()[:8] and uid.encode() not in bundle.read_bytes()  # encrypted

    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "demo-supervisor1")
    before = _dump(office)
    proc = run("bundle", "import", str(bundle), "--as", "supervisor1", "--db", str(office))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    refused = [line for line in proc.stderr.splitlines() if line.startswith("ltc-assess: refused: ")]
    assert refused == [f"ltc-assess: refused: 评估 {uid}：没有已签名的 approval 记录"]
    assert "已拒绝 1 条记录，未导入任何内容" in proc.stderr
    assert _dump(office) == before
    assert as_user("supervisor1", "db", "check", "--db", str(office)).returncode == 0
