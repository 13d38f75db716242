"""Submission refuses a blank input of a level rule (GB/T A.2.14.x, A.4.1, A.5.11; MZ/T A.2.13.x, A.2.14.x)."""

from __future__ import annotations

import random

import pytest
from world import PNG, World

from ltc_assess.demo import _filler
from ltc_assess.errors import AppError
from ltc_assess.service import NewAssessment
from ltc_assess.session import FormSession
from ltc_assess.workflow import Status


def _complete_but_rule_inputs(world: World, form_id: str) -> int:
    """An assessment with every required answer and signature except the inputs of level rules."""
    s = world.service
    record, _ = s.start_assessment(
        world.a1,
        NewAssessment(subject_id=world.subject.id, form=form_id, assessor2_id=world.a2.id, informant_name="王小明"),
    )
    form = s.form(record.form_ref)
    for item_id in form.scored_items:
        s.save_answer(world.a1, record.id, item_id, form.items[item_id].choices[0].value)  # type: ignore[union-attr]
    session = FormSession(form, s.assessment(record.id).answers)
    for issue in session.validate():
        if issue.item_id not in session.rule_inputs:
            value = _filler(form.items[issue.item_id], random.Random(1), record.assessment_date)
            if value is not None:
                s.save_answer(world.a1, record.id, issue.item_id, value)
    for role in ("assessor1", "assessor2", "informant"):
        s.save_signature(world.a1, record.id, role, PNG)
    return record.id


@pytest.mark.parametrize(
    ("form_id", "nones"),
    [
        ("gbt42195-2022", {**{f"A.2.14.{n}": 0 for n in range(1, 6)}, "A.4.1": [], "A.5.11": 0}),
        ("mzt039-2013", {"A.2.13.1": 0, "A.2.13.2": 0, **{f"A.2.14.{n}": 0 for n in range(1, 5)}}),
    ],
)
def test_submit_refuses_blank_rule_inputs_until_answered_none(
    world: World, form_id: str, nones: dict[str, object]
) -> None:
    """Test that the service (not only the UI) refuses submission while a level rule's input is blank, names
    them in the checklist, and accepts explicit 无 answers (an empty A.4.1 list included)."""
    s = world.service
    aid = _complete_but_rule_inputs(world, form_id)
    checklist = s.checklist(aid)
    assert sorted(m.item_id for m in checklist) == sorted(nones)
    assert all("等级变更依据" in m.message for m in checklist)
    live = s.assessment(aid).score
    assert live is not None
    blank = [w for w in live["warnings"] if w["id"] == "MISSING-RULE-INPUT"]
    assert blank and sorted(blank[0]["items"]) == sorted(nones)
    with pytest.raises(AppError, match="尚不能提交"):
        s.submit(world.a1, aid)
    assert s.assessment(aid).status == Status.DRAFT
    for item_id, value in nones.items():
        s.save_answer(world.a1, aid, item_id, value)
    assert s.checklist(aid) == []
    s.submit(world.a1, aid)
    record = s.assessment(aid)
    assert record.status == Status.SUBMITTED
    assert record.score is not None and all(w["id"] != "MISSING-RULE-INPUT" for w in record.score["warnings"])
    assert not any("未填写" in step["text"] for step in record.score["trace"])


def test_deleting_a_rule_input_makes_the_draft_unsubmittable_again(world: World) -> None:
    """Test that clearing an answered 无 (saving None) brings the item back on the checklist."""
    s = world.service
    aid = _complete_but_rule_inputs(world, "gbt42195-2022")
    for n in range(1, 6):
        s.save_answer(world.a1, aid, f"A.2.14.{n}", 0)
    s.save_answer(world.a1, aid, "A.4.1", [])
    s.save_answer(world.a1, aid, "A.5.11", 0)
    assert s.checklist(aid) == []
    s.save_answer(world.a1, aid, "A.4.1", None)
    assert [m.item_id for m in s.checklist(aid)] == ["A.4.1"]
    with pytest.raises(AppError):
        s.submit(world.a1, aid)
