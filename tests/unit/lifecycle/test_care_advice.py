"""Care advice: generated from dimension × grade and item rules, reviewed before submission, locked after; the
care setting chosen by the person or guardian, signed, from the settings the conclusion allows."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run
from world import PNG, World

from ltc_assess.errors import AppError
from ltc_assess.service import NewAssessment

from .helpers import approved, decide, make_city, nhsa_ready, visit


def test_generated_advice_follows_grades_and_item_rules(world: World) -> None:
    """Test that severe ADL, falls and wandering each get their advice and devices."""
    city = make_city(world)
    aid = nhsa_ready(city, world.a1, city.e1)
    lines = city.lc.care_advice(aid)
    assert lines[0].startswith("日常生活活动能力：日常生活大部分或完全依赖") and "护理床" in lines[0]
    assert any(line.startswith("跌倒风险：") and "助行器" in line for line in lines)
    assert any(line.startswith("走失风险：") for line in lines)


def test_submission_needs_reviewed_advice_and_it_locks_after(world: World) -> None:
    """Test that unreviewed advice blocks submission; the edited text is kept and cannot change once submitted."""
    city = make_city(world)
    s = world.service
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="nhsa-ltc-2021",
                                                           assessor2_id=city.e1.id))
    for i in range(1, 11):
        s.save_answer(world.a1, record.id, f"ADL.{i}", 0)
    for item in ("COG.1", "COG.2", "COG.3", "COG.4", "SEN.1", "SEN.2", "SEN.3"):
        s.save_answer(world.a1, record.id, item, 0)
    for role in ("assessor1", "assessor2", "informant"):
        s.save_signature(world.a1, record.id, role, PNG)
    visit(city, record.id, world.a1, city.e1)
    with pytest.raises(AppError, match="照护建议尚未经评估员审阅保存"):
        s.submit(world.a1, record.id)
    city.lc.save_care_advice(world.a1, record.id, ["每日协助翻身", "  ", "居家安装扶手"])
    assert city.lc.care_advice(record.id) == ["每日协助翻身", "居家安装扶手"]
    s.submit(world.a1, record.id)
    with pytest.raises(AppError):
        city.lc.save_care_advice(world.a1, record.id, ["改动"])
    with pytest.raises(Exception, match="cannot change"):
        s.db.execute("UPDATE care_advice SET lines_json = '[]' WHERE assessment_id = ?", [record.id])


def test_care_setting_must_be_offered_and_is_signed_once(world: World) -> None:
    """Test that 天津 offers no community setting, a bad PNG is refused, and a choice is recorded once."""
    city = make_city(world, "tianjin")
    aid = approved(city)
    with pytest.raises(AppError, match="该结论可选的护理服务形式：居家、机构"):
        city.lc.choose_care_setting(world.sup2, aid, "community", "王小明", PNG)
    with pytest.raises(AppError, match="完整的 PNG"):
        city.lc.choose_care_setting(world.sup2, aid, "home", "王小明", b"not a png")
    city.lc.choose_care_setting(world.sup2, aid, "institution", "王小明", PNG, "儿子")
    with pytest.raises(AppError, match="已确认"):
        city.lc.choose_care_setting(world.sup2, aid, "home", "王小明", PNG)


def test_no_care_setting_for_a_conclusion_without_benefits(world: World) -> None:
    """Test that a level 天津 pays nothing for is told so, not offered an empty list of settings."""
    city = make_city(world, "tianjin")
    aid = nhsa_ready(city, world.a1, city.e1, adl=10)  # able: a low level, not eligible
    visit(city, aid, world.a1, city.e1)
    world.service.submit(world.a1, aid)
    decide(city, aid, world.sup1, city.e1, city.e2)
    assert not city.lc.conclusion(aid)["eligible"]
    with pytest.raises(AppError, match="该结论不享受长期护理保险待遇，无需确认护理服务形式"):
        city.lc.choose_care_setting(world.sup2, aid, "home", "王小明", PNG)


def test_broken_advice_file_is_located(tmp_path: Path, repo: Path) -> None:
    """Test that an advice rule naming a dimension the form lacks fails at its line."""
    text = (repo / "policies" / "advice" / "nhsa-ltc-2021.yaml").read_text(encoding="utf-8")
    path = tmp_path / "advice" / "nhsa-ltc-2021.yaml"
    path.parent.mkdir()
    path.write_text(text.replace("{dimension: cognition, grade: 2", "{dimension: cognitoin, grade: 2"), encoding="utf-8")
    result = run("policies", "check", str(path), env={"LTC_LANG": "en"})
    line = next(i for i, s in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "cognitoin" in s)
    assert result.returncode == 2
    assert f"nhsa-ltc-2021.yaml:{line} dimensions[4].dimension: nhsa-ltc-2021@1 has no dimension 'cognitoin'" in result.stderr


def test_report_prints_the_reviewed_advice(world: World, tmp_path: Path) -> None:
    """Test that the report's 照护建议 section shows the assessor's edited lines, each with a glyph."""
    import io

    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    from ltc_assess import paths

    city = make_city(world)
    aid = nhsa_ready(city, world.a1, city.e1)
    city.lc.save_care_advice(world.a1, aid, [*city.lc.care_advice(aid)[:2], "家属每周陪同散步两次"])
    pdf = world.service.render_report(aid)
    (tmp_path / "report.pdf").write_bytes(pdf)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = text.replace("\n", "")
    assert "照护建议" in flat and "家属每周陪同散步两次" in flat and "建议辅具：护理床" in flat
    glyphs = set(map(chr, TTFont(str(paths.font_path()), lazy=True).getBestCmap()))
    assert not sorted({c for c in text if c != "\n" and c not in glyphs})
