"""Encryption at rest: the database key sealed per user, files that say nothing without a password, private file
modes, encrypting an old plain database, the recovery key, and what a password reset does to keys."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlcipher3
from world import World, complete_barthel, with_signing_keys

from ltc_assess import access
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.service import AssessmentService
from ltc_assess.storage.db import is_plain
from ltc_assess.storage.keyslots import KeySlots, slots_path

LEGACY = Path(__file__).resolve().parents[2] / "data" / "legacy_dbs" / "m001_initial.sqlite"
LEGACY_PASSWORDS = {"admin": "legacy-admin", "assessor1": "legacy-assessor1", "assessor2": "legacy-assessor2",
                    "supervisor1": "legacy-supervisor1"}


def _secrets(world: World) -> list[bytes]:
    s = world.subject
    return [s.name.encode(), s.id_number.encode(), s.id_number[::-1].encode(), (s.phone or "").encode(),
            "王小明".encode()]


def _files(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


def test_database_wal_backup_and_side_files_hold_no_personal_data(world: World, tmp_path: Path) -> None:
    """Test that a byte scan of the database, its WAL (while open), a backup and the key/login files finds no name,
    ID number or phone number, and that plain SQLite cannot read the file."""
    s = world.service
    complete_barthel(world)  # informant 王小明, answers, signatures
    assert (s.path.with_name(s.path.name + "-wal")).stat().st_size > 0  # the WAL is there and holds pages
    backup = s.backup(tmp_path / "backups" / "copy.db")
    scanned = _files(s.path) + _files(backup)
    assert {p.name for p in scanned} >= {"ltc.db", "ltc.db-wal", "ltc.db.keys", "copy.db", "copy.db.keys"}
    for path in scanned:
        data = path.read_bytes()
        for secret in _secrets(world):
            assert secret not in data, f"{secret.decode()} readable in {path.name}"
        assert not data.startswith(b"SQLite format 3")
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(s.path).execute("SELECT count(*) FROM sqlite_master").fetchone()


def test_files_and_folders_are_private(world: World, tmp_path: Path) -> None:
    """Test that the database, WAL, key slots, login counters and backups are 0600 and new folders 0700."""
    s = world.service
    with pytest.raises(AppError):
        s.login("a1", "wrong-password")  # writes the login-counter file
    backup = s.backup(tmp_path / "new" / "deeper" / "copy.db")
    for path in [*_files(s.path), *_files(backup)]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    for folder in (tmp_path / "new", tmp_path / "new" / "deeper"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_every_password_opens_a_locked_database_and_nothing_else_does(world: World) -> None:
    """Test that a fresh service on the file is locked, a wrong password leaves it locked, a right one opens it."""
    path = world.service.path
    other = AssessmentService(path, clock=world.clock)
    with pytest.raises(AppError, match="请先登录"):
        other.list_assessments()
    with pytest.raises(AppError, match="用户名或密码错误"):
        other.login("sup1", "a1-password")
    with pytest.raises(AppError, match="请先登录"):
        other.list_assessments()
    assert other.login("sup1", "sup1-password").username == "sup1"
    assert other.subject(world.subject.id).name == "王秀英"
    other.close()


def test_recovery_key_opens_the_file_with_plain_sqlcipher(world: World) -> None:
    """Test that the hex key an admin gets opens the file with sqlcipher3 alone (PRAGMA key = "x'HEX'"), and that
    only an admin gets it, audited."""
    s = world.service
    with pytest.raises(AppError, match="只有管理员"):
        access.recovery_key(s, world.sup1)
    hex_key = access.recovery_key(s, world.admin)
    assert len(hex_key) == 64
    conn = sqlcipher3.connect(str(s.path))
    conn.execute(f"PRAGMA key = \"x'{hex_key}'\"")
    assert conn.execute("SELECT name FROM subjects").fetchone()[0] == "王秀英"
    conn.close()
    actions = [r["action"] for r in s.db.query("SELECT action FROM audit ORDER BY id DESC LIMIT 1")]
    assert actions == ["db.recovery_key"]


@pytest.mark.slow  # an argon2id derivation per account
def test_encrypting_a_legacy_database_keeps_every_row_and_every_password(tmp_path: Path) -> None:
    """Test `db encrypt` on a released plain database: same rows in every table, the file no longer plain, each
    user's old password opens it, and a first login replaces the slot derived from the login hash."""
    copy = tmp_path / "legacy.db"
    shutil.copy(LEGACY, copy)
    plain = AssessmentService(copy)
    tables = [r[0] for r in plain.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    before = {t: plain.store.count(t) for t in tables}
    admin = plain.login("admin", "legacy-admin")
    with pytest.raises(AppError, match="只有管理员"):
        access.encrypt(plain, plain.login("assessor1", "legacy-assessor1"))
    encrypted = access.encrypt(plain, admin)
    after = {t: encrypted.store.count(t) for t in tables}
    encrypted.close()
    assert after == {**before, "audit": before["audit"] + 2 + 1}  # two logins, then db.encrypt
    assert not is_plain(copy) and b"legacy" not in copy.read_bytes()
    assert all(KeySlots.load(copy).is_legacy(u) for u in LEGACY_PASSWORDS)  # type: ignore[union-attr]
    for username, password in LEGACY_PASSWORDS.items():
        service = AssessmentService(copy)
        assert service.login(username, password).username == username
        assert service.check() == []
        service.close()
    slots = KeySlots.load(copy)
    assert slots is not None and not any(slots.is_legacy(u) for u in LEGACY_PASSWORDS)
    with pytest.raises(AppError, match="已经加密"):
        service = AssessmentService(copy)
        access.encrypt(service, service.login("admin", "legacy-admin"))


@pytest.mark.slow  # issues and retires signing keys
def test_password_reset_reseals_the_database_key_and_retires_the_signing_key(world: World) -> None:
    """Test that after a reset the new password opens the database, the old one does not, and the user's signing
    key (sealed with the old password) is retired, audited, so that a new certificate must be issued."""
    with_signing_keys(world, ("a1",))
    s = world.service
    s.reset_password(world.admin, "a1", "brand-new-secret")
    assert s.store.user_key(world.a1.id) is None
    assert [r["action"] for r in s.db.query("SELECT action FROM audit ORDER BY id DESC LIMIT 1")] == ["keys.retire"]
    fresh = AssessmentService(s.path, clock=world.clock)
    with pytest.raises(AppError):
        fresh.login("a1", "a1-password")
    assert fresh.login("a1", "brand-new-secret").username == "a1"
    fresh.close()
    s.issue_certificate(world.admin, "a1", "root-passphrase", "brand-new-secret")
    assert s.store.user_key(world.a1.id) is not None


def test_a_disabled_account_loses_its_key_slot(world: World) -> None:
    """Test that disabling drops the slot (the password no longer unseals the key); a reset gives a new one."""
    s = world.service
    s.set_disabled(world.admin, "a2")
    assert "a2" not in KeySlots.load(s.path).slots  # type: ignore[union-attr]
    fresh = AssessmentService(s.path, clock=world.clock)
    with pytest.raises(AppError, match="用户名或密码错误"):
        fresh.login("a2", "a2-password")
    fresh.close()


def test_key_slot_file_cannot_grant_access(world: World) -> None:
    """Test that a slot copied to another username, or a damaged file, opens nothing (the username is bound in)."""
    path = slots_path(world.service.path)
    data = json.loads(path.read_bytes())
    data["slots"]["sup1"] = data["slots"]["a1"]  # an assessor's slot under a supervisor's name
    path.write_text(json.dumps(data), encoding="utf-8")
    fresh = AssessmentService(world.service.path, clock=world.clock)
    with pytest.raises(AppError, match="用户名或密码错误"):
        fresh.login("sup1", "a1-password")
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(AppError, match="密钥槽文件"):
        AssessmentService(world.service.path)


def test_reading_personal_data_is_logged(world: World) -> None:
    """Test that a report read and a list read name the reader and whose records, and that an assessor cannot read
    another assessor's record."""
    s = world.service
    aid = complete_barthel(world)
    access.report(s, world.sup1, aid)
    access.assessments(s, world.sup1, None)
    with pytest.raises(AppError) as refused:
        access.report(s, world.a3, aid)
    assert refused.value.code == ErrorCode.PERMISSION
    assert access.assessments(s, world.a3, None) == []
    rows = list(s.db.query("SELECT actor_id, action, entity_id, new_json FROM audit WHERE action LIKE 'read.%'"))
    assert [(r["actor_id"], r["action"]) for r in rows[:2]] == [(world.sup1.id, "read.report"),
                                                                (world.sup1.id, "read.list")]
    assert rows[0]["entity_id"] == str(aid)
    assert json.loads(rows[1]["new_json"]) == {"subjects": [world.subject.id]}


def test_cleared_answers_are_not_readable_in_the_audit_log(world: World) -> None:
    """Test that answer values (set, changed, cleared) appear in the audit log only as SHA-256 hashes."""
    from ltc_assess.service import NewAssessment

    s = world.service
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="gbt42195-2022"))
    s.save_answer(world.a1, record.id, "A.1.1", "秘密备注内容")
    s.save_answer(world.a1, record.id, "A.1.1", None)
    rows = list(s.db.query("SELECT old_json, new_json FROM audit WHERE action = 'answer.save'"))
    assert len(rows) == 2 and not any("秘密备注内容" in (r["old_json"] or "") + (r["new_json"] or "") for r in rows)
    assert "sha256" in rows[1]["old_json"] and json.loads(rows[1]["new_json"]) == {"A.1.1": None}


def test_the_recovery_key_resets_a_lost_admin_password(world: World) -> None:
    """Test that with the escrowed key alone (no admin can log in) an account gets a new password, audited without
    an actor, and that a service opened otherwise cannot use this door."""
    s = world.service
    key = bytes.fromhex(access.recovery_key(s, world.admin))
    with pytest.raises(AppError, match="恢复密钥"):
        s.recover_account(b"\0" * 32, "admin", "brand-new-admin-pw")
    rescue = AssessmentService(s.path, clock=world.clock, key=key)
    rescue.recover_account(key, "admin", "brand-new-admin-pw")
    rescue.close()
    fresh = AssessmentService(s.path, clock=world.clock)
    assert fresh.login("admin", "brand-new-admin-pw").username == "admin"
    row = next(fresh.db.query("SELECT actor_id, action FROM audit WHERE action = 'user.recover'"))
    assert row["actor_id"] is None
    fresh.close()
