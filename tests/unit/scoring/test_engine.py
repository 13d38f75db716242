"""Engine behaviour per rule kind, on small inline forms (the real forms have golden cases)."""

from __future__ import annotations

import copy
import json

import pytest

from ltc_assess.errors import AnswerError, ErrorCode
from ltc_assess.schema.loader import load_form_bytes
from ltc_assess.schema.model import FormDef
from ltc_assess.schema.registry import get_form
from ltc_assess.scoring import ENGINE_VERSION, score

from ..schema.test_loader import MINI

TWO_RAISES = MINI.replace(
    "        effect: {raise: 1}\n",
    "        effect: {raise: 1}\n"
    "      - id: R2\n        when: \"{Q.2} == 0\"\n        text: {zh_CN: 规则二, en: Rule two}\n        effect: {raise: 1}\n"
    "      - id: R3\n        when: \"{Q.1} == 0 and {Q.2} == 0\"\n        text: {zh_CN: 直接, en: Set}\n"
    "        effect: {set: 1}\n",
).replace("    - {code: 1, name: {zh_CN: 差, en: Poor}}", "    - {code: 1, name: {zh_CN: 差, en: Poor}}\n"
          "    - {code: 2, name: {zh_CN: 很差, en: Very poor}}\n    - {code: 3, name: {zh_CN: 极差, en: Worst}}")


def _form(text: str = MINI) -> FormDef:
    return load_form_bytes(text.encode(), "forms/mini/v1.yaml")


def test_sum_band_and_trace() -> None:
    """Test that items sum into the dimension, the band gives the level and the trace says why."""
    result = score(_form(), {"Q.1": 2, "Q.2": 0})
    assert result.dimension("d1").score == 2 and result.total == 2
    assert result.initial_level == 0 and result.final_level == 0
    rules = [t.rule for t in result.trace]
    assert rules == ["sum:d1", "total", "initial_level", "adjust:R1", "final_level"]
    assert result.trace[0].text == "维度 = 2+0 = 2/3"
    assert "落在2–3区间" in result.trace[2].text
    assert result.engine_version == ENGINE_VERSION and len(result.form_sha256) == 64


def test_raise_fires_from_multichoice_trigger() -> None:
    """Test that a raise rule fires on its trigger and is listed with its effect."""
    result = score(_form(), {"Q.1": 2, "Q.2": 1, "Q.3": ["NO"]})
    assert result.initial_level == 0 and result.final_level == 1
    assert [(a.rule, a.effect) for a in result.adjustments] == [("R1", "+1")]


@pytest.mark.parametrize(("stacking", "want"), [("max_one", 1), ("additive", 2)])
def test_stacking_modes(stacking: str, want: int) -> None:
    """Test that two raises give +1 in max_one mode and +2 in additive mode; one raise +1 in both."""
    form = _form(TWO_RAISES.replace("stacking: max_one", f"stacking: {stacking}"))
    one = score(form, {"Q.1": 0, "Q.2": 1, "Q.3": ["NO"]})  # total 1 -> level 1; only R1 fires
    assert (one.initial_level, one.final_level) == (1, 2)
    both = score(form, {"Q.1": 2, "Q.2": 0, "Q.3": ["NO"]})  # total 2 -> level 0; R1 and R2 fire
    assert [a.rule for a in both.adjustments] == ["R1", "R2"]
    assert (both.initial_level, both.final_level) == (0, want)


def test_cap_limits_raises() -> None:
    """Test that raises never pass the cap."""
    form = _form(TWO_RAISES.replace("stacking: max_one", "stacking: additive\n    cap: 2"))
    result = score(form, {"Q.1": 2, "Q.2": 0, "Q.3": ["NO"]})
    assert result.initial_level == 0 and result.final_level == 2


def test_set_wins_over_raises() -> None:
    """Test that a 'set' adjustment decides the final level whatever the raises say."""
    form = _form(TWO_RAISES.replace("stacking: max_one", "stacking: additive"))
    result = score(form, {"Q.1": 0, "Q.2": 0, "Q.3": ["NO"]})
    assert result.initial_level == 1
    assert result.final_level == 1
    assert [a.rule for a in result.adjustments] == ["R1", "R2", "R3"]


def test_partial_scoring_tolerates_missing_items() -> None:
    """Test that partial mode leaves incomplete scores None and lists what is missing."""
    result = score(_form(), {"Q.1": 2}, partial=True)
    d = result.dimension("d1")
    assert d.score is None and d.partial_sum == 2 and d.answered == 1
    assert result.total is None and result.final_level is None
    assert result.missing == ("Q.2",) and not result.complete


@pytest.mark.parametrize(("form_id", "open_dim"), [("nhsa-ltc-2021", "perception_communication"),
                                                  ("mzt039-2013", "perception_communication")])
def test_partial_scoring_proposes_no_level_while_a_scored_item_is_open(form_id: str, open_dim: str) -> None:
    """Test that the live preview shows no grade or level that an unanswered item could still change: with one
    dimension unanswered, the NHSA matrix's max() and the MZ/T grading rules must not decide on the rest."""
    form = get_form(form_id)
    best = {i: min(c.value for c in form.items[i].choices) for i in form.scored_items}  # type: ignore[union-attr]
    worst = {i: max(c.value for c in form.items[i].choices) for i in form.scored_items}  # type: ignore[union-attr]
    open_items = next(d.items for d in form.scoring.dimensions if d.id == open_dim)
    for answers in (best, worst):
        partial = {i: v for i, v in answers.items() if i not in open_items}
        result = score(form, partial, partial=True)
        assert set(result.missing) >= set(open_items)
        assert result.dimension(open_dim).grade is None
        assert (result.initial_level, result.final_level) == (None, None)
        assert any("数据不完整" in t.text for t in result.trace if t.rule == "initial_level")
        complete = score(form, answers)  # the same answers, complete: a level again
        assert complete.final_level is not None


def test_missing_required_item_is_named_with_allowed_values() -> None:
    """Test that a missing scored item is an error naming it and its allowed values."""
    with pytest.raises(AnswerError) as info:
        score(_form(), {"Q.1": 2})
    assert info.value.code == ErrorCode.ANSWER_MISSING and info.value.item == "Q.2"
    assert "Q.2" in str(info.value) and "0, 1" in str(info.value)


@pytest.mark.parametrize(
    ("answers", "item", "fragment"),
    [
        ({"Q.1": 3, "Q.2": 0}, "Q.1", "allowed values: 0, 2"),
        ({"Q.1": True, "Q.2": 0}, "Q.1", "not allowed"),
        ({"Q.1": 2.0, "Q.2": 0}, "Q.1", "not allowed"),
        ({"Q.1": "2", "Q.2": 0}, "Q.1", "not allowed"),
        ({"Q.1": 2, "Q.2": 0, "Q.9": 1}, "Q.9", "unknown item"),
        ({"Q.1": 2, "Q.2": 0, "Q.3": ["NO", "none"]}, "Q.3", "cannot be combined"),
        ({"Q.1": 2, "Q.2": 0, "Q.3": ["XX"]}, "Q.3", "not allowed"),
        ({"Q.1": 2, "Q.2": 0, "Q.3": "NO"}, "Q.3", "expected a list"),
    ],
)
def test_bad_answers_are_rejected_naming_the_item(answers: dict[str, object], item: str, fragment: str, english: None) -> None:
    """Test that invalid values, bools posing as scores and unknown ids are rejected with the item named."""
    with pytest.raises(AnswerError) as info:
        score(_form(), answers)
    assert info.value.item == item and fragment in str(info.value)


def test_scoring_is_pure_and_deterministic() -> None:
    """Test that scoring does not mutate its input and gives identical output twice."""
    form = _form()
    answers = {"Q.1": 2, "Q.2": 1, "Q.3": ["NO"]}
    before = copy.deepcopy(answers)
    first = json.dumps(score(form, answers).to_dict(), ensure_ascii=False, sort_keys=True)
    assert answers == before
    assert json.dumps(score(form, answers).to_dict(), ensure_ascii=False, sort_keys=True) == first


def test_output_object_has_exactly_the_contract_fields() -> None:
    """Test that the output object carries exactly the DESIGN §2.2 fields."""
    out = score(_form(), {"Q.1": 2, "Q.2": 1}).to_dict(case_id="c1")
    assert list(out) == [
        "id", "form", "form_version", "form_sha256", "engine_version", "status", "dimensions", "total",
        "initial_level", "final_level", "adjustments", "trace", "warnings",
    ]
    assert out["id"] == "c1" and out["dimensions"]["d1"] == {"score": 3, "max": 3, "grade": None}
    assert out["final_level"] == {"code": 0, "name": "好"}
    assert set(out["trace"][0]) == {"rule", "inputs", "output", "text"}
