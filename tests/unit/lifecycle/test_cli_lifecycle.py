"""The after-the-decision commands as a user runs them (real subprocesses on a real database file)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from cli_runner import run
from pypdf import PdfReader
from world import World

from .helpers import approved, make_city, nhsa_ready, visit

pytestmark = pytest.mark.slow  # real subprocesses, one per command


def test_city_visit_publicity_objection_letter_and_due(world: World, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Test the CLI flow after a decision: 公示 file, objection refused after the window, letter, due list."""
    city = make_city(world, "chengdu")
    aid = approved(city)
    db = str(world.service.path)
    world.service.close()

    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "sup2-password")  # every command logs in: the file is encrypted
    assert "成都 chengdu@1 [未核实]" in run("policies", "current", "--as", "sup2", "--db", db).stdout
    shown = run("visit", "show", str(aid), "--as", "sup2", "--db", db).stdout
    assert "专家一（评估专家）：签到" in shown and re.search(r"专家二 于 \S+ 确认等级 5", shown), shown  # the CLI speaks Chinese

    out = tmp_path / "gs.pdf"
    result = run("publicity", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out), "--as", "sup2",
                 "--db", db)
    assert result.returncode == 0, result.stderr
    assert "王*英" in PdfReader(out).pages[0].extract_text()
    bad = run("publicity", "--from", "2026-11-01", "--to", "2026-13-01", "--out", str(out), "--as", "sup2", "--db", db)
    assert bad.returncode == 2 and "--to: 日期 '2026-13-01' 无效" in bad.stderr and "[APP_004]" in bad.stderr and "Traceback" not in bad.stderr

    conclusion = json.loads(run("conclusion", "show", str(aid), "--as", "sup2", "--db", db).stdout)
    today = dt.datetime.now(dt.UTC).date()  # the CLI runs on the real clock: the 公示 started today
    assert conclusion["published_at"] == today.isoformat()
    lodged = run("objection", "lodge", str(aid), "--by", "王小明", "--reason", "等级偏高", "--as", "sup2", "--db", db)
    assert lodged.returncode == 0 and "登记异议 1" in lodged.stdout, lodged.stderr
    again = run("objection", "lodge", str(aid), "--by", "王小明", "--reason", "再次", "--as", "sup2", "--db", db)
    assert again.returncode == 2 and "已有待处理的异议" in again.stderr
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "a1-password")
    refused = run("objection", "review", "1", "--with", "a4", "--as", "a1", "--db", db)
    assert refused.returncode == 2 and "a1 名 参与了原评估" in refused.stderr

    letter = tmp_path / "letter.pdf"
    result = run("letter", str(aid), "--out", str(letter), "--as", "a1", "--db", db)
    assert result.returncode == 0 and "（未签名）" in result.stdout, result.stderr  # "unsigned"
    assert "成都长期护理保险失能等级评估结论告知书" in PdfReader(letter).pages[0].extract_text()

    due = json.loads(run("due", "--within", "30d", "--json", "--as", "a1", "--db", db).stdout)
    expected = [("no_reapply", aid, conclusion["reapply_after"])] if today.isoformat() < conclusion["reapply_after"] else []
    assert [(e["kind"], e["assessment_id"], e["date"]) for e in due] == expected
    missing = run("letter", "999", "--out", str(letter), "--as", "a1", "--db", db)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_cli_refuses_a_confirmation_by_an_expert_who_took_no_part(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test the insider at the CLI: an assessor-expert outside the visit is refused with the reason, no traceback."""
    city = make_city(world, "chengdu")
    aid = nhsa_ready(city, world.a1, city.e1)
    visit(city, aid, world.a1, city.e1)
    world.service.submit(world.a1, aid)
    world.service.add_user(world.admin, "e3", "专家三", "assessor", "e3-password")
    city.lc.set_qualification(world.admin, "e3", "expert")
    db = str(world.service.path)
    world.service.close()
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "e3-password")
    refused = run("visit", "confirm", str(aid), "--level", "5", "--as", "e3", "--db", db)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert f"专家三 未参与评估 {aid}（不是其评估员，也未在现场签到），不能确认其结论" in refused.stderr
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "e1-password")
    assert run("visit", "confirm", str(aid), "--level", "5", "--as", "e1", "--db", db).returncode == 0
    shown = run("visit", "show", str(aid), "--as", "e1", "--db", db).stdout
    assert re.search(r"专家一 于 \S+ 确认等级 5", shown) and "专家三" not in shown, shown
