"""Golden scoring cases: one parametrized test per case in ``tests/forms/*.cases.yaml``.

The case files hold the spec's test vectors and our own (every band edge, matrix cell and adjustment);
their format is documented in ``tests/forms/README.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ltc_assess.errors import AnswerError
from ltc_assess.schema.loader import load_form
from ltc_assess.schema.model import FormDef, SingleChoiceItem
from ltc_assess.schema.registry import get_form
from ltc_assess.scoring import score

CASES_DIR = Path(__file__).parent / "forms"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.cases.yaml")):
        doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        ref = doc.get("form_file") or doc["form"]
        for case in doc["cases"]:
            marks = [pytest.mark.provisional] if case.get("provisional") else []
            params.append(pytest.param(doc, case, id=f"{path.stem.removesuffix('.cases')}:{case['id']}", marks=marks))
        assert ref
    return params


def _form(doc: dict[str, Any]) -> FormDef:
    if "form_file" in doc:
        return load_form(CASES_DIR / doc["form_file"])
    return get_form(doc["form"])


def base_answers(form: FormDef, base: str | None) -> dict[str, Any]:
    """Every scored item at its best-ability (``max``) or worst-ability (``min``) option."""
    if base is None:
        return {}
    answers: dict[str, Any] = {}
    for dim in form.scoring.dimensions:
        for item_id in dim.items:
            item = form.items[item_id]
            assert isinstance(item, SingleChoiceItem)
            values = [int(c.value) for c in item.choices]
            best = max(values) if dim.direction == "higher_better" else min(values)
            worst = min(values) if dim.direction == "higher_better" else max(values)
            answers[item_id] = best if base == "max" else worst
    return answers


def with_stacking(form: FormDef, stacking: str | None) -> FormDef:
    """The same form with another stacking mode (to test both readings of the standard)."""
    if stacking is None:
        return form
    adj = form.scoring.adjustments
    assert adj is not None, "stacking override on a form without adjustments"
    scoring = form.scoring.model_copy(update={"adjustments": adj.model_copy(update={"stacking": stacking})})
    copy = form.model_copy(update={"scoring": scoring})
    copy._plan = None
    return copy


@pytest.mark.parametrize(("doc", "case"), _load_cases())
def test_golden_case(doc: dict[str, Any], case: dict[str, Any], english: None) -> None:
    """Test that a golden case scores exactly as its expectation says."""
    form = with_stacking(_form(doc), case.get("stacking"))
    answers = {**base_answers(form, case.get("base")), **(case.get("answers") or {})}
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(AnswerError) as info:
            score(form, answers)
        assert info.value.item == expect["error"]
        assert expect["error"] in str(info.value)
        if "error_contains" in expect:
            assert expect["error_contains"] in str(info.value)
        return
    result = score(form, answers)
    for dim_id, want in (expect.get("dimensions") or {}).items():
        got = result.dimension(dim_id)
        if isinstance(want, dict):
            assert {k: getattr(got, k) for k in want} == want, dim_id
        else:
            assert got.score == want, dim_id
    if "total" in expect:
        assert result.total == expect["total"]
    if "initial_level" in expect:
        assert result.initial_level == expect["initial_level"]
    if "final_level" in expect:
        assert result.final_level == expect["final_level"]
        assert result.final_level_name == form.level_name(expect["final_level"])
    if "adjustments" in expect:
        assert [a.rule for a in result.adjustments] == expect["adjustments"]
    if "warnings" in expect:
        assert [w.id for w in result.warnings] == expect["warnings"]
    if "blank_rule_inputs" in expect:
        blank = result.blank_rule_inputs
        assert (list(blank.items) if blank else []) == expect["blank_rule_inputs"]
        out = result.to_dict()["warnings"]
        assert [w["items"] for w in out if w["id"] == "MISSING-RULE-INPUT"] == ([expect["blank_rule_inputs"]] if blank else [])
    for rule, text in (expect.get("trace") or {}).items():
        step = next(t for t in result.trace if t.rule == rule)
        assert text in step.text, (rule, step.text)


def test_every_installed_form_has_golden_cases() -> None:
    """Test that no installed form ships without a golden case file."""
    from ltc_assess.schema.registry import installed_forms

    refs = set()
    for path in CASES_DIR.glob("*.cases.yaml"):
        doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        if "form" in doc:
            refs.add(get_form(doc["form"]).ref)
    assert {f.ref for f in installed_forms()} <= refs
