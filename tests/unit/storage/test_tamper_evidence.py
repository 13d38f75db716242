"""``db check`` detects every tampering of the issue's "Why", done with plain sqlite3 and triggers dropped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3
from world import World, complete_barthel, raw_sql, with_signing_keys

from ltc_assess.storage.audit import row_hash

pytestmark = pytest.mark.slow  # every test signs and approves a report (PAdES, timestamps)

SIGNERS = {"assessor1": "a1-password", "assessor2": "a2-password"}


@pytest.fixture
def approved(world: World) -> Iterator[tuple[World, int]]:
    """A world with keys and one assessment submitted (signed by both assessors) and approved (signed by sup1)."""
    with_signing_keys(world, ("a1", "a2", "sup1"))
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid, SIGNERS)
    world.service.decide_level(world.sup1, aid, 2, "复核")
    world.service.approve(world.sup1, aid, "sup1-password")
    yield world, aid


def _sql(world: World, *statements: str) -> None:
    con = raw_sql(world.service)
    for statement in statements:
        con.execute(statement)
    con.close()


def _recompute_chain(world: World) -> None:
    """What an attacker does after editing a row: rewrite every hash so that the plain chain verifies."""
    con = raw_sql(world.service)
    con.row_factory = sqlcipher3.Row
    prev = "0" * 64
    for row in [dict(r) for r in con.execute("SELECT * FROM audit ORDER BY id")]:
        new = row_hash(row, prev)
        con.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", [prev, new, row["id"]])
        prev = new
    con.commit()
    con.close()


def test_healthy_database_checks_clean(approved: tuple[World, int]) -> None:
    """Test that the untouched database has no problems (the baseline of every test below)."""
    world, _aid = approved
    assert world.service.check() == []


@pytest.mark.parametrize("cut", [1, 3])
def test_deleting_the_last_audit_rows_is_detected(approved: tuple[World, int], cut: int) -> None:
    """Test that cutting the chain short (still a valid prefix) no longer matches the signed checkpoint."""
    world, _aid = approved
    _sql(world, "DROP TRIGGER audit_no_delete", f"DELETE FROM audit WHERE id > (SELECT max(id) - {cut} FROM audit)")
    problems = world.service.check()
    assert any(p.startswith("审计检查点") and p.endswith("缺失") for p in problems), problems
    assert "触发器 audit_no_delete 缺失（被绕过应用程序删除？）" in problems


def test_deleting_all_audit_rows_is_detected(approved: tuple[World, int]) -> None:
    """Test that an empty audit log (and no checkpoints) is still noticed: users and approvals have no history."""
    world, aid = approved
    _sql(world, "DROP TRIGGER audit_no_delete", "DELETE FROM audit",
         "DROP TRIGGER audit_checkpoints_no_delete", "DELETE FROM audit_checkpoints")
    problems = world.service.check()
    assert "用户 sup1：不在审计日志中（被绕过应用程序添加？）" in problems
    assert not any(p.startswith(f"评估 {aid}：") for p in problems)  # the approval itself is still signed
    assert any(p.startswith("触发器 audit_checkpoints_no_delete") for p in problems)


def test_edited_row_with_recomputed_chain_is_detected(approved: tuple[World, int]) -> None:
    """Test that editing a row and recomputing the plain SHA-256 chain is caught by the signed checkpoints."""
    world, _aid = approved
    _sql(world, "DROP TRIGGER audit_no_update", "UPDATE audit SET new_json = '{\"BI.1\": 0}' WHERE id = 8")
    _recompute_chain(world)
    problems = world.service.check()
    assert not any(p.startswith("审计记录") for p in problems)  # the plain chain is fooled ...
    assert any("与 a1 签名的内容不同" in p for p in problems), problems  # ... the signatures are not


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        ("UPDATE answers SET value_json = '0' WHERE item_id = 'BI.1'", "answers"),
        ("UPDATE assessments SET decided_level = 0", "decided_level"),
        ("UPDATE assessments SET decided_by = (SELECT id FROM users WHERE username = 'sup2')", "decided_by"),
        ("UPDATE subjects SET name = '李四'", "person"),
        ("UPDATE assessments SET approved_by = (SELECT id FROM users WHERE username = 'sup2')", "signer"),
    ],
)
def test_changed_approved_record_is_detected(approved: tuple[World, int], edit: str, named: str) -> None:
    """Test that an approved record's answers, level, decider, person or approver changed by SQL are named."""
    world, aid = approved
    _sql(world, "DROP TRIGGER answers_locked_update", "DROP TRIGGER assessments_approved_immutable", edit)
    problems = world.service.check()
    assert any(p.startswith(f"评估 {aid}：") and named in p and "审核员签名的批准记录" in p for p in problems), problems


def test_replaced_approved_report_is_detected(approved: tuple[World, int]) -> None:
    """Test that a later report revision slipped in (e.g. the assessors' unsigned-by-supervisor PDF) is named."""
    world, aid = approved
    _sql(world, "INSERT INTO reports SELECT assessment_id, 99, 'supervisor', pdf, sha256, created_at FROM reports "
         f"WHERE assessment_id = {aid} AND signer_role = 'assessor2'")
    problems = world.service.check()
    assert f"评估 {aid}：其最新报告不是审核员签名的那份" in problems


def test_approval_by_sql_is_detected(world: World) -> None:
    """Test that a submitted record marked approved by SQL (no signed approval) is named."""
    with_signing_keys(world, ("a1", "a2", "sup1"))
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid, SIGNERS)
    _sql(world, f"UPDATE assessments SET status = 'approved', approved_by = {world.sup1.id}, decided_level = 0 "
         f"WHERE id = {aid}")
    assert world.service.check() == [f"评估 {aid}：已批准，但没有审核员签名的批准记录"]


def test_approval_by_sql_without_keys_is_detected(world: World) -> None:
    """Test that without a signing root an approval still needs its audit event."""
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    _sql(world, f"UPDATE assessments SET status = 'approved', approved_by = {world.sup1.id} WHERE id = {aid}")
    assert world.service.check() == [f"评估 {aid}：已批准，但审计日志中没有批准记录"]


def test_promotion_to_supervisor_by_sql_is_detected(approved: tuple[World, int]) -> None:
    """Test that a role changed in the users table without the audited service call is named."""
    world, _aid = approved
    _sql(world, "UPDATE users SET role = 'supervisor' WHERE username = 'a3'")
    assert world.service.check() == ["用户 a3：角色为 supervisor，但审计日志记录的是 assessor"]
    world.service.set_role(world.admin, "a2", "supervisor")  # through the service: audited, fine
    assert world.service.check() == ["用户 a3：角色为 supervisor，但审计日志记录的是 assessor"]


def test_a_problem_reads_in_english_under_an_english_locale(approved: tuple[World, int], english: None) -> None:
    """Test that ``db check``'s problems are said in the language of the moment: the same promotion, in English."""
    world, _aid = approved
    _sql(world, "UPDATE users SET role = 'supervisor' WHERE username = 'a3'", "DROP TRIGGER reports_append_only_delete")
    assert world.service.check() == [
        "trigger reports_append_only_delete is missing (dropped behind the application's back?)",
        "user a3: role supervisor, but the audit log gave assessor",
    ]


def test_reenabling_a_disabled_user_by_sql_is_detected(approved: tuple[World, int]) -> None:
    """Test that undoing a disable behind the application's back is named."""
    world, _aid = approved
    world.service.set_disabled(world.admin, "a3")
    _sql(world, "UPDATE users SET disabled = 0 WHERE username = 'a3'")
    assert world.service.check() == ["用户 a3：停用标记与审计日志不符"]


@pytest.mark.parametrize("trigger", ["assessments_approved_immutable", "reports_append_only_delete",
                                     "signed_records_no_update"])
def test_missing_trigger_is_detected(approved: tuple[World, int], trigger: str) -> None:
    """Test that each dropped trigger is named."""
    world, _aid = approved
    _sql(world, f"DROP TRIGGER {trigger}")
    assert world.service.check() == [f"触发器 {trigger} 缺失（被绕过应用程序删除？）"]


def test_insurer_package_carries_a_signed_checkpoint_and_is_private(approved: tuple[World, int], tmp_path: Path) -> None:
    """Test that an insurer package carries the audit head signed by the exporter, and is written 0600."""
    import json
    import stat

    from ltc_assess import evidence
    from ltc_assess.exchange.package import read_package

    world, _aid = approved
    out = tmp_path / "insurer.zip"
    world.service.export_package(world.sup1, "sup1-password", out, "2000-01-01", "2100-01-01")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    checkpoint = json.loads(read_package(out)["manifest.json"])["audit_checkpoint"]
    signed = evidence.verify(evidence.SignedRecord("checkpoint", checkpoint["payload"],
                                                   bytes.fromhex(checkpoint["signature"])),
                             world.service.root_certificate())
    assert signed["signer"] == "sup1"
    assert signed["hash"] == world.service.db.execute("SELECT hash FROM audit WHERE id = ?",
                                                      [signed["audit_id"]]).fetchone()[0]


def test_changed_score_of_an_approved_record_is_detected(approved: tuple[World, int]) -> None:
    """Test that the stored score (what reports and insurer files show) edited by SQL is named."""
    world, aid = approved
    _sql(world, "DROP TRIGGER assessments_approved_immutable",
         "UPDATE assessments SET score_json = json_set(score_json, '$.final_level.code', 0)")
    problems = world.service.check()
    assert f"评估 {aid}：score 与审核员签名的批准记录不符" in problems
