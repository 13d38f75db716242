"""The storage commands end to end: demo, db check/backup/audit-csv, assessments list, users."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_runner import as_user, run

from ltc_assess.storage.db import raw_connection

pytestmark = pytest.mark.slow
@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    proc = run("demo", "--db", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "assessor1 / demo-assessor1" in proc.stdout
    return path


def test_demo_then_db_check(demo_db: Path) -> None:
    """Test the issue's 'done when': demo, then db check, pass."""
    proc = as_user("admin", "--db", str(demo_db), "db", "check")
    assert proc.returncode == 0 and "审计链完好" in proc.stdout


def test_demo_has_every_status_and_form(demo_db: Path) -> None:
    """Test that the demo holds every workflow state across all four forms, ID numbers masked."""
    proc = as_user("supervisor1", "assessments", "list", "--json", "--db", str(demo_db))
    rows = json.loads(proc.stdout)
    assert {r["status"] for r in rows} == {"draft", "submitted", "returned", "approved", "superseded"}
    assert {r["form_id"] for r in rows} == {"gbt42195-2022", "nhsa-ltc-2021", "mzt039-2013", "barthel"}
    assert {r["form_id"] for r in rows if r["status"] == "approved"} >= {"gbt42195-2022", "barthel"}
    assert all("**********" in r["id_number"] for r in rows)
    only = json.loads(as_user("supervisor1", "assessments", "list", "--json", "--status", "approved", "--db",
                              str(demo_db)).stdout)
    assert only and {r["status"] for r in only} == {"approved"}


def test_demo_refuses_existing_database(demo_db: Path) -> None:
    """Test that demo never overwrites an existing database."""
    proc = run("demo", "--db", str(demo_db))
    assert proc.returncode == 2 and "已存在" in proc.stderr


def test_db_check_names_a_tampered_row(demo_db: Path, tmp_path: Path) -> None:
    """Test that editing the audit log behind the app's back makes db check fail, naming the row."""
    copy = tmp_path / "tampered.db"
    as_user("admin", "--db", str(demo_db), "db", "backup", "--out", str(copy))
    key = as_user("admin", "db", "recovery-key", "--db", str(copy)).stdout.strip()
    raw = raw_connection(copy, bytes.fromhex(key))  # the escrowed key opens the file without the app
    raw.execute("DROP TRIGGER audit_no_update")
    raw.execute("UPDATE audit SET reason = 'edited' WHERE id = 12")
    raw.commit()
    raw.close()
    proc = as_user("admin", "db", "check", "--db", str(copy))
    assert proc.returncode == 1 and "审计记录 12 在写入后被修改" in proc.stderr


def test_backup_and_audit_csv(demo_db: Path, tmp_path: Path) -> None:
    """Test that a backup passes db check and the audit CSV opens as UTF-8 with BOM."""
    out = tmp_path / "b.db"
    assert as_user("admin", "db", "backup", "--out", str(out), "--db", str(demo_db)).returncode == 0
    assert as_user("admin", "db", "check", "--db", str(out)).returncode == 0
    csv_path = tmp_path / "audit.csv"
    assert as_user("admin", "db", "audit-csv", "--out", str(csv_path), "--db", str(demo_db)).returncode == 0
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbfid,at,actor_id")


def test_users_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test init-admin, add, list, set-role, reset-password and disable with passwords from the environment."""
    db = str(tmp_path / "u.db")
    monkeypatch.setenv("LTC_ASSESS_NEW_PASSWORD", "first-admin-pw")
    assert run("users", "init-admin", "boss", "--name", "局长", "--db", db).returncode == 0
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "first-admin-pw")
    monkeypatch.setenv("LTC_ASSESS_NEW_PASSWORD", "assessor-pw-1")
    assert run("users", "add", "zhang", "--name", "张三", "--role", "assessor", "--as", "boss", "--db", db).returncode == 0
    assert run("users", "set-role", "zhang", "supervisor", "--as", "boss", "--db", db).returncode == 0
    assert run("users", "reset-password", "zhang", "--as", "boss", "--db", db).returncode == 0
    assert run("users", "disable", "zhang", "--as", "boss", "--db", db).returncode == 0
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "first-admin-pw")
    listing = run("users", "list", "--as", "boss", "--db", db).stdout
    assert "zhang" in listing and "supervisor" in listing and "已停用" in listing
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "wrong-password")
    proc = run("users", "add", "li", "--name", "李四", "--role", "assessor", "--as", "boss", "--db", db)
    assert proc.returncode == 2 and "用户名或密码错误 [APP_007]" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    """Test that commands on a missing database explain how to create one."""
    proc = run("assessments", "list", "--as", "admin", "--db", str(tmp_path / "none.db"))
    assert proc.returncode == 2 and "ltc-assess demo" in proc.stderr


def test_db_location_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that LTC_ASSESS_DB is used when --db is not given."""
    path = tmp_path / "env.db"
    monkeypatch.setenv("LTC_ASSESS_DB", str(path))
    assert run("demo").returncode == 0 and path.exists()


def _approved_id(demo_db: Path) -> int:
    rows = json.loads(as_user("supervisor1", "assessments", "list", "--json", "--status", "approved", "--db",
                              str(demo_db)).stdout)
    return next(r["id"] for r in rows if r["form_id"] == "gbt42195-2022")


def test_approved_report_verifies_with_three_trusted_signatures(demo_db: Path, tmp_path: Path) -> None:
    """Test the issue's 'done when': an approved demo report verifies with three valid, trusted signatures: the
    supervisor's on the approved report, the two assessors' on the submitted report it embeds."""
    from ltc_assess.signing.attach import submitted_report

    pdf, root, inner = tmp_path / "r.pdf", tmp_path / "root.pem", tmp_path / "submitted.pdf"
    assert as_user("supervisor1", "report", str(_approved_id(demo_db)), "--out", str(pdf), "--db",
                   str(demo_db)).returncode == 0
    assert as_user("admin", "keys", "root", "--out", str(root), "--db", str(demo_db)).returncode == 0
    inner.write_bytes(submitted_report(pdf.read_bytes()) or b"")
    outer = run("verify", str(pdf), "--trust", str(root))
    assert outer.returncode == 0 and "VALID" in outer.stdout and "（supervisor，supervisor" in outer.stdout, outer.stdout
    proc = run("verify", str(inner), "--trust", str(root))
    assert proc.returncode == 0 and "VALID" in proc.stdout, proc.stdout
    assert "2 个签名" in proc.stdout and proc.stdout.count("受信任 是") == 2
    assert "assessor1）于" in proc.stdout and "assessor2）于" in proc.stdout


def test_verify_fails_after_one_byte_changes(demo_db: Path, tmp_path: Path) -> None:
    """Test that flipping one byte of a signed report makes verify exit 1."""
    pdf, root = tmp_path / "r.pdf", tmp_path / "root.pem"
    as_user("supervisor1", "report", str(_approved_id(demo_db)), "--out", str(pdf), "--db", str(demo_db))
    as_user("admin", "keys", "root", "--out", str(root), "--db", str(demo_db))
    data = bytearray(pdf.read_bytes())
    data[len(data) // 3] ^= 0x01
    pdf.write_bytes(bytes(data))
    proc = run("verify", str(pdf), "--trust", str(root))
    assert proc.returncode == 1 and "NOT VALID" in proc.stdout


def test_verify_bad_input_exits_2(tmp_path: Path) -> None:
    """Test that a missing or non-PDF file is bad input (exit 2, one line)."""
    text = tmp_path / "x.txt"
    text.write_text("hello", encoding="utf-8")
    for target in (text, tmp_path / "missing.pdf"):
        proc = run("verify", str(target))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_draft_report_is_unsigned(demo_db: Path, tmp_path: Path) -> None:
    """Test that a draft renders as an unsigned report, which verify refuses."""
    rows = json.loads(as_user("supervisor1", "assessments", "list", "--json", "--status", "draft", "--db",
                              str(demo_db)).stdout)
    pdf = tmp_path / "d.pdf"
    proc = as_user("supervisor1", "report", str(rows[0]["id"]), "--out", str(pdf), "--db", str(demo_db))
    assert proc.returncode == 0 and "无签名" in proc.stdout
    assert run("verify", str(pdf), "--db", str(demo_db)).returncode == 1


def test_export_and_verify_package(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test the issue's 'done when': a supervisor exports, verify-package accepts, and rejects one changed byte."""
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "demo-supervisor2")
    pkg, root = tmp_path / "pkg", tmp_path / "root.pem"
    proc = run("export", "--from", "2000-01-01", "--to", "2100-01-01", "--insurer", "示例医保中心", "--out", str(pkg),
               "--as", "supervisor2", "--db", str(demo_db))
    assert proc.returncode == 0, proc.stderr
    as_user("admin", "keys", "root", "--out", str(root), "--db", str(demo_db))
    ok = run("verify-package", str(pkg), "--trust", str(root))
    assert ok.returncode == 0 and "VALID" in ok.stdout
    report = sorted((pkg / "reports").iterdir())[0]
    data = bytearray(report.read_bytes())
    data[100] ^= 0x01
    report.write_bytes(bytes(data))
    bad = run("verify-package", str(pkg), "--trust", str(root))
    assert bad.returncode == 1 and f"reports/{report.name}" in bad.stdout


def test_bundle_commands_between_two_copies(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test bundle export on a laptop copy and import at the office copy; importing again changes nothing."""
    laptop, office = tmp_path / "laptop.db", tmp_path / "office.db"
    as_user("admin", "db", "backup", "--out", str(laptop), "--db", str(demo_db))
    as_user("admin", "db", "backup", "--out", str(office), "--db", str(demo_db))
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "demo-assessor1")
    bundle = tmp_path / "b.zip"
    proc = run("bundle", "export", "--all", "--out", str(bundle), "--as", "assessor1", "--db", str(laptop))
    assert proc.returncode == 0, proc.stderr
    first = run("bundle", "import", str(bundle), "--as", "assessor1", "--db", str(office))
    assert first.returncode == 0 and "未变" in first.stdout and "冲突 0" in first.stdout
    again = run("bundle", "import", str(bundle), "--as", "assessor1", "--db", str(office))
    assert again.returncode == 0 and "已导入过" in again.stdout
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    bad = run("bundle", "import", str(bundle), "--as", "assessor1", "--db", str(office))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_run_command_without_a_display_prepares_the_demo_and_explains(tmp_path: Path) -> None:
    """Test that `ltc-assess` on a machine without a display creates the demo database and says how to proceed,
    instead of waiting forever on an invisible window."""
    import os
    import sys

    from cli_runner import REPO

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    db = tmp_path / "fresh.db"
    proc = subprocess.run([sys.executable, "-m", "ltc_assess", "--db", str(db)], capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(REPO)}, timeout=300)
    assert proc.returncode == 0 and "未找到显示器" in proc.stdout and db.exists()


def test_no_personal_data_of_the_demo_is_readable_from_its_files(demo_db: Path, tmp_path: Path) -> None:
    """Test the issue's 'strings' check: no name, ID number or phone number of any demo person in the bytes of the
    database, its WAL, its side files or a backup; the escrowed recovery key is what reads them."""
    backup = tmp_path / "b.db"
    assert as_user("admin", "db", "backup", "--out", str(backup), "--db", str(demo_db)).returncode == 0
    key = bytes.fromhex(as_user("admin", "db", "recovery-key", "--db", str(demo_db)).stdout.strip())
    raw = raw_connection(demo_db, key)
    people = raw.execute("SELECT name, id_number, phone FROM subjects").fetchall()
    raw.close()
    secrets = {s.encode() for row in people for s in row if s} | {row[0].split("（")[0].encode() for row in people}
    assert len(people) == 12 and len(secrets) >= 30
    files = [p for folder in (demo_db.parent, tmp_path) for p in folder.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"demo.db", "demo.db.keys", "b.db", "b.db.keys"}
    for path in files:
        data = path.read_bytes()
        found = [s.decode() for s in secrets if s in data]
        assert not found, f"{path.name} holds {found}"


def test_export_encrypted_to_the_insurer(demo_db: Path, tmp_path: Path) -> None:
    """Test `export --encrypt-to CERT`: the file is 0600 CMS EnvelopedData holding no clear personal data, which
    the insurer's key opens to a package that verify-package accepts."""
    import stat

    from certs import certificate
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs7

    from ltc_assess.signing.envelope import recipient

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = tmp_path / "insurer.pem"
    cert.write_bytes(certificate(key))
    out, root = tmp_path / "pkg.zip.p7m", tmp_path / "root.pem"
    proc = as_user("supervisor2", "export", "--from", "2000-01-01", "--to", "2100-01-01", "--out", str(out),
                   "--encrypt-to", str(cert), "--db", str(demo_db))
    assert proc.returncode == 0, proc.stderr
    sealed = out.read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and not sealed.startswith(b"PK") and "（示例）".encode() not in sealed
    opened = tmp_path / "opened.zip"
    opened.write_bytes(pkcs7.pkcs7_decrypt_der(sealed, recipient(cert.read_bytes()), key, []))
    as_user("admin", "keys", "root", "--out", str(root), "--db", str(demo_db))
    ok = run("verify-package", str(opened), "--trust", str(root))
    assert ok.returncode == 0 and "VALID" in ok.stdout
