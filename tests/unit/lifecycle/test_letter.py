"""The 告知书 for each outcome of two cities: signed and valid, every character with a glyph, facts printed;
the 公示 list as PDF and .xlsx with masked names."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from openpyxl import load_workbook
from pypdf import PdfReader
from world import PNG, World, with_signing_keys

from ltc_assess import paths
from ltc_assess.policies import installed_policies
from ltc_assess.service import Changes
from ltc_assess.signing.pades import verify_pdf

from .helpers import City, approved, make_city, nhsa_ready, visit

pytestmark = pytest.mark.slow  # signs letters and reports

BEST = {**{f"ADL.{i}": v for i, v in enumerate((10, 10, 5, 10, 10, 10, 15, 15, 10, 5), 1)},
        **{i: 4 for i in ("COG.1", "COG.2", "COG.3", "COG.4", "SEN.1", "SEN.2", "SEN.3")}}


@cache
def _font_chars() -> frozenset[str]:
    return frozenset(map(chr, TTFont(str(paths.font_path()), lazy=True).getBestCmap()))


def _approved(city: City, best: bool) -> int:
    w = city.world
    aid = nhsa_ready(city, w.a1, city.e1)
    if best:
        for item, value in BEST.items():
            w.service.save_answer(w.a1, aid, item, value)
        city.lc.save_care_advice(w.a1, aid, city.lc.records.reviewed_advice(aid) + ["定期复查血压"])
    visit(city, aid, w.a1, city.e1)
    w.service.submit(w.a1, aid, {"assessor1": "a1-password", "assessor2": "e1-password"})
    level = w.service.assessment(aid).proposed_level
    for e in (city.e1, city.e2):
        city.lc.confirm(e, aid, level)
    w.service.approve(w.sup1, aid, "sup1-password")
    return aid


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("city_name", ["chengdu", "tianjin"])
@pytest.mark.parametrize("best", [False, True], ids=["eligible", "not-eligible"])
def test_letter_per_outcome_is_signed_and_complete(world: World, tmp_path: Path, city_name: str, best: bool) -> None:
    """Test the letter of each outcome: level, eligibility, benefits with 未核实, validity, objection deadline,
    a valid supervisor signature and a glyph for every character."""
    with_signing_keys(world, ("a1", "sup1", "sup2"))
    city = make_city(world, city_name)
    world.service.issue_certificate(world.admin, "e1", "root-passphrase", "e1-password")
    aid = _approved(city, best)
    city.lc.publish(world.sup2, "2026-11-01", "2026-11-30")
    if not best:
        city.lc.choose_care_setting(world.sup2, aid, "home", "王小明", PNG, "儿子")
    (pdf, signed), changes = city.lc.letter_pdf(aid, world.sup2, "sup2-password")
    (tmp_path / f"letter-{city_name}-{best}.pdf").write_bytes(pdf)
    assert signed
    assert changes == Changes(assessment_ids=(aid,), after_decision_changed=True)  # kept, to travel to the office
    verdict = verify_pdf(pdf, [world.service.root_certificate()])
    assert verdict.ok and [s.field for s in verdict.signatures] == ["supervisor"]
    text = _text(pdf)
    flat = text.replace("\n", "")
    name = {"chengdu": "成都", "tianjin": "天津"}[city_name]
    assert f"{name}长期护理保险失能等级评估结论告知书" in flat
    deadline = {"chengdu": "2026-11-14", "tianjin": "2026-12-07"}[city_name]  # 公示 7 days + 7 or 30 days
    assert "有效期自 2026-11-01 至 2028-10-31" in flat and f"请于 {deadline} 前提出" in flat
    if best:
        assert "未达到长期护理保险待遇享受条件" in flat and "元/" not in flat
        assert "定期复查血压" in flat  # the assessor's own advice line
    else:
        assert "符合长期护理保险待遇享受条件" in flat
        assert "重度失能Ⅲ级" in flat and "（未核实）" in flat
        assert ("1437 元/月" if city_name == "chengdu" else "最高 70 元/天") in flat
        assert "照护建议" in flat and "跌倒风险" in flat and "建议辅具：助行器" in flat
        assert "选择的护理服务形式：居家；确认人：王小明（儿子）" in flat
    missing = sorted({c for c in text if c != "\n" and c not in _font_chars()})
    assert not missing, missing


def test_every_policy_text_has_a_glyph() -> None:
    """Test that any policy wording a letter may print is in the embedded font."""
    texts = [p.model_dump_json() for p in installed_policies()]
    missing = {c for t in texts for c in t if ord(c) > 127 and c not in _font_chars()}
    assert not missing, sorted(missing)


def test_publicity_pdf_and_xlsx_mask_names_and_ids(world: World) -> None:
    """Test the 公示 list files: masked name and ID, the notice period, no full ID number anywhere."""
    city = make_city(world, "tianjin")
    approved(city)
    (pdf, count), _changes = city.lc.publicity_file(world.sup2, "2026-11-01", "2026-11-30", "pdf")
    text = _text(pdf).replace("\n", "")
    assert count == 1 and "王*英" in text and "2026-11-01 至 2026-11-07" in text
    assert world.subject.id_number not in text and "王秀英" not in text
    (xlsx, _count), _changes = city.lc.publicity_file(world.sup2, "2026-11-01", "2026-11-30", "xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    assert rows[3][1:4] == ("王*英", world.subject.id_number[:4] + "*" * 10 + world.subject.id_number[-4:], "东城区")
    assert all(world.subject.id_number not in str(c) for r in rows for c in r)


def test_mask_name_keeps_a_bracketed_note_out_of_the_name() -> None:
    """Test that 公示 masking hides the middle of the name itself, not of a note such as （示例） after it."""
    from ltc_assess.lifecycle import mask_name

    assert [mask_name(n) for n in ("李桂兰（示例）", "王秀英", "张三", "欧阳小明", "李", "王五 (demo)")] == [
        "李*兰（示例）", "王*英", "张*", "欧**明", "李", "王*(demo)"]
