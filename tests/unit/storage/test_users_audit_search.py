"""Users and login, the audit chain (including tampering behind the app's back), search, ID numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from world import World, complete_barthel, id_number, raw_sql

from ltc_assess import idnumber
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.storage import audit
from ltc_assess.storage.db import DatabaseError
from ltc_assess.storage.work import Changes


def test_login_and_lockout_after_five_failures(world: World) -> None:
    """Test that five wrong passwords lock the account for 15 minutes (saying no more than for a wrong password),
    then it opens again."""
    s = world.service
    assert s.login("a1", "a1-password").id == world.a1.id
    for _ in range(5):
        with pytest.raises(AppError, match="用户名或密码错误"):
            s.login("a1", "nope")
    with pytest.raises(AppError, match="用户名或密码错误"):
        s.login("a1", "a1-password")
    world.clock.now += dt.timedelta(minutes=16)
    assert s.login("a1", "a1-password").username == "a1"


def test_unknown_user_gets_the_same_message(world: World) -> None:
    """Test that login does not reveal whether a username exists."""
    with pytest.raises(AppError, match="用户名或密码错误"):
        world.service.login("ghost", "whatever-password")


def test_passwords_are_argon2id_hashes(world: World) -> None:
    """Test that the stored password is an argon2id hash, never the password."""
    stored = world.service.store.password_hash(world.a1.id)
    assert stored.startswith("$argon2id$") and "a1-password" not in stored


def test_first_admin_only_once(world: World) -> None:
    """Test that set-up's first-admin path is closed once users exist."""
    with pytest.raises(AppError, match="首个管理员已存在"):
        world.service.create_first_admin("root", "Root", "root-password")


def test_reset_password_and_set_role(world: World) -> None:
    """Test that an admin can reset a password and change a role, audited."""
    s = world.service
    s.reset_password(world.admin, "a3", "fresh-password")
    assert s.login("a3", "fresh-password").role == "assessor"
    assert s.set_role(world.admin, "a3", "supervisor") == Changes(users_changed=True)
    assert s.accounts.user_by_name("a3").role == "supervisor"  # type: ignore[union-attr]
    assert [r["action"] for r in s.db.query("SELECT action FROM audit WHERE entity = 'user'")][-3:] == [
        "user.reset_password", "login", "user.set_role"]


def test_audit_chain_verifies_and_exports(world: World) -> None:
    """Test that every mutation is in the chain and the CSV export carries it with a BOM."""
    complete_barthel(world)
    report = audit.verify(world.service.db)
    assert report.ok and report.rows > 15
    csv_text = world.service.audit_csv()
    assert csv_text.startswith("\ufeffid,at,actor_id,action") and "answer.save" in csv_text


@pytest.mark.parametrize("tamper", [
    "UPDATE audit SET new_json = '{\"BI.1\": 0}' WHERE id = {row}",
    "DELETE FROM audit WHERE id = {row}",
])
def test_audit_tamper_is_detected_and_named(world: World, tamper: str) -> None:
    """Test that editing or deleting an audit row with plain sqlite3 breaks the chain at that row."""
    complete_barthel(world)
    raw = raw_sql(world.service)
    raw.execute("DROP TRIGGER audit_no_update")
    raw.execute("DROP TRIGGER audit_no_delete")
    raw.execute(tamper.replace("{row}", "7"))
    raw.commit()
    raw.close()
    problems = world.service.check()
    assert problems and "审计记录 7 " in problems[0]


def test_audit_rows_cannot_be_changed_through_sqlite(world: World) -> None:
    """Test that the append-only triggers refuse updates and deletes."""
    raw = raw_sql(world.service)
    with pytest.raises(DatabaseError, match="append-only"):
        raw.execute("DELETE FROM audit")
    raw.close()


def test_subject_search_by_name_fragment_id_suffix_and_phone(world: World) -> None:
    """Test search by 1–3 Chinese characters, ID-number suffix and phone suffix."""
    s = world.service
    s.register_subject(world.a1, name="李秀兰", sex="female", id_number=id_number("11010519420101002"), phone="13912345678")
    assert {x.name for x in s.search_subjects("秀")} == {"王秀英", "李秀兰"}
    assert [x.name for x in s.search_subjects("王秀")] == ["王秀英"]
    assert [x.name for x in s.search_subjects("王秀英")] == ["王秀英"]
    assert [x.name for x in s.search_subjects(world.subject.id_number[-6:])] == ["王秀英"]
    assert [x.name for x in s.search_subjects("5678")] == ["李秀兰"]
    assert s.search_subjects("张") == []


def test_duplicate_id_number_is_refused(world: World) -> None:
    """Test that registering the same 公民身份号码 twice is refused with a clear message."""
    with pytest.raises(AppError, match="已登记") as info:
        world.service.register_subject(world.a1, name="另一人", sex="male", id_number=world.subject.id_number.lower())
    assert info.value.code == ErrorCode.CONFLICT


@pytest.mark.parametrize(("number", "fragment"), [
    ("110105194003151230", "校验码为 0，应为 6"),
    ("11010519400315123", "17位数字"),
    ("110105194002301236", "出生日期 19400230 不存在"),
    ("01010519400315123X", "17位数字"),
])
def test_invalid_id_numbers(number: str, fragment: str) -> None:
    """Test that a wrong check digit, length or date is refused, saying which."""
    with pytest.raises(AppError, match=fragment):
        idnumber.validate(number)


def test_id_number_validation_and_mask() -> None:
    """Test a known-valid number (X check digit included) and the list mask."""
    assert idnumber.validate(" 11010519491231002x ") == "11010519491231002X"
    assert idnumber.mask("320102194001011234") == "3201**********1234"


def test_register_invalid_id_changes_nothing(world: World) -> None:
    """Test that a refused registration leaves no subject and no audit row behind."""
    before = (world.service.store.count("subjects"), world.service.store.count("audit"))
    with pytest.raises(AppError):
        world.service.register_subject(world.a1, name="错号", sex="male", id_number="110105194003151230")
    assert (world.service.store.count("subjects"), world.service.store.count("audit")) == before
