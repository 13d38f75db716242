"""Every installed form loads, and every item and rule in it is walked (qutebrowser's test_data idea)."""

from __future__ import annotations

import pytest

from ltc_assess.schema.model import ChoiceItem, FormDef, GroupItem
from ltc_assess.schema.registry import form_files, installed_forms
from ltc_assess.scoring import score

FORMS = installed_forms()


def test_every_form_file_is_installed() -> None:
    """Test that each forms/<id>/v<N>.yaml file loads into a distinct form version."""
    assert len(FORMS) == len(form_files()) and len({f.ref for f in FORMS}) == len(FORMS)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.ref)
def test_every_item_is_complete_and_bilingual(form: FormDef) -> None:
    """Test that every item, choice and section has Chinese and English text."""
    for section in form.sections:
        assert section.title.zh_CN and section.title.en
        for item in section.items:
            assert item.label.zh_CN and item.label.en, item.id
            if isinstance(item, ChoiceItem):
                for choice in item.choices:
                    assert choice.label.zh_CN and choice.label.en, (item.id, choice.value)
            if isinstance(item, GroupItem):
                assert all(f.label.en for f in item.fields)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.ref)
def test_levels_are_named_and_reachable_extremes_score(form: FormDef) -> None:
    """Test that the best and worst answer sets score to declared levels, best no worse than worst."""
    results = []
    for pick in (max, min):
        answers = {}
        for dim in form.scoring.dimensions:
            for item_id in dim.items:
                values = [int(c.value) for c in form.items[item_id].choices]  # type: ignore[union-attr]
                best = pick(values) if dim.direction == "higher_better" else (min if pick is max else max)(values)
                answers[item_id] = best
        results.append(score(form, answers))
    best, worst = results
    assert best.final_level is not None and worst.final_level is not None
    assert best.final_level <= worst.final_level
    assert form.level_name(best.final_level) == best.final_level_name


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.ref)
def test_provisional_status_is_declared_with_a_note(form: FormDef) -> None:
    """Test that a provisional form says why, so the UI and report can show it."""
    if form.status == "provisional":
        assert form.status_note is not None and form.status_note.zh_CN


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.ref)
def test_every_form_captures_the_three_handwritten_signatures(form: FormDef) -> None:
    """Test that each form has the signature items the submit checklist requires (assessors 1, 2, informant)."""
    from ltc_assess.schema.model import SignatureItem

    signatures = {i for i, item in form.items.items() if isinstance(item, SignatureItem)}
    assert signatures == {"SIG.assessor1", "SIG.assessor2", "SIG.informant"}
