"""Invariants of every installed form's scoring, checked on generated answer sets (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ltc_assess.schema.model import FormDef, SingleChoiceItem
from ltc_assess.schema.registry import installed_forms
from ltc_assess.scoring import score

from .strategies import answers_for

FORMS = installed_forms()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _scored_and_triggers(form: FormDef) -> list[str]:
    """Scored items plus every item the scoring rules read (adjustment triggers)."""
    names = set(form.scored_items)
    sc = form.scoring
    rules: list[Any] = [sc.initial_level] + [d.grade for d in sc.dimensions if d.grade is not None]
    exprs = [a.when for a in (sc.adjustments.rules if sc.adjustments else ())]
    for rule in rules:
        exprs += [getattr(rule, "input", None), getattr(rule, "rows", None), getattr(rule, "columns", None)]
        exprs += [row.when for row in getattr(rule, "rules", ())]
    for expr in exprs:
        if expr is not None:
            names.update(r for r in expr.refs if r in form.items)
    return [i for i in form.items if i in names]


def _unreferenced(form: FormDef) -> list[str]:
    used = set(_scored_and_triggers(form))
    return [i for i in form.items if i not in used]


def _outcome(result: Any) -> tuple[Any, ...]:
    dims = tuple((d.id, d.score, d.grade) for d in result.dimensions)
    return dims, result.total, result.initial_level, result.final_level, tuple(a.rule for a in result.adjustments)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.ref)
def test_scores_stay_within_declared_bounds(form: FormDef) -> None:
    """Test that every dimension score and the total stay within 0..max, and levels are declared ones."""

    @SETTINGS
    @given(answers_for(form, _scored_and_triggers(form)))
    def check(answers: dict[str, Any]) -> None:
        result = score(form, answers)
        for d in result.dimensions:
            if d.score is not None:
                assert 0 <= d.score <= (d.max or 0)
        if result.total is not None:
            assert 0 <= result.total <= sum(d.max or 0 for d in result.dimensions)
        codes = {lv.code for lv in form.scoring.levels}
        assert result.final_level in codes

    check()


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.ref)
def test_better_ability_on_one_item_never_worsens_the_level(form: FormDef) -> None:
    """Test that moving any one scored item one step towards more ability never raises the level."""
    direction = {i: d.direction for d in form.scoring.dimensions for i in d.items}

    @SETTINGS
    @given(answers_for(form, _scored_and_triggers(form)), st.sampled_from(form.scored_items), st.data())
    def check(answers: dict[str, Any], item_id: str, data: st.DataObject) -> None:
        item = form.items[item_id]
        assert isinstance(item, SingleChoiceItem)
        current = answers[item_id]
        better = [
            int(c.value) for c in item.choices
            if (c.value > current if direction[item_id] == "higher_better" else c.value < current)  # type: ignore[operator]
        ]
        if not better:
            return
        before = score(form, answers).final_level
        after = score(form, {**answers, item_id: data.draw(st.sampled_from(better))}).final_level
        if before is not None and after is not None:
            assert after <= before, f"{item_id}: {current} -> better raised level {before} -> {after}"

    check()


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.ref)
def test_unreferenced_items_never_change_the_score(form: FormDef) -> None:
    """Test that answering items no scoring rule reads leaves scores and levels unchanged."""
    others = _unreferenced(form)

    @SETTINGS
    @given(answers_for(form, _scored_and_triggers(form)), answers_for(form, others))
    def check(scored: dict[str, Any], extra: dict[str, Any]) -> None:
        assert _outcome(score(form, {**scored, **extra})) == _outcome(score(form, scored))

    check()
