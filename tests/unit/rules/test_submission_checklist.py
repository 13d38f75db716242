"""The submit checklist as a plain rule over a real installed form (no database)."""

from __future__ import annotations

from ltc_assess.schema.registry import get_form
from ltc_assess.submission import (
    SIGNATURE_ROLES,
    MissingItem,
    checklist,
    not_ready,
    signature_item,
    signature_role,
)


def test_signature_items_and_roles_are_inverse() -> None:
    """Test that every signing role has its SIG. item and back."""
    for role in SIGNATURE_ROLES:
        assert signature_role(signature_item(role)) == role


def test_an_empty_assessment_misses_answers_the_second_assessor_and_every_signature() -> None:
    """Test that the checklist names required items, the second assessor and the three handwritten signatures."""
    form = get_form("gbt42195-2022")
    missing = checklist(form, {}, has_assessor2=False, signed_roles=set())
    item_ids = {m.item_id for m in missing}
    assert any(i is not None and not i.startswith("SIG.") for i in item_ids)
    assert sum(1 for m in missing if m.item_id is None or m.item_id.startswith("SIG.")) == 4
    assert {signature_item(r) for r in SIGNATURE_ROLES if signature_item(r) in form.items} <= item_ids


def test_signatures_and_second_assessor_leave_the_list_once_given() -> None:
    """Test that a second assessor and all signatures remove exactly those entries."""
    form = get_form("gbt42195-2022")
    before = checklist(form, {}, has_assessor2=False, signed_roles=set())
    after = checklist(form, {}, has_assessor2=True, signed_roles=set(SIGNATURE_ROLES))
    assert len(before) - len(after) == 4
    assert all(m.item_id is not None and not m.item_id.startswith("SIG.") for m in after)


def test_the_refusal_names_the_count_and_at_most_five_entries() -> None:
    """Test that the refusal message counts everything and lists the first five, with an ellipsis."""
    missing = [MissingItem(f"Q{i}", f"问题{i}") for i in range(7)]
    message = not_ready(missing)
    assert "7" in message and "问题4" in message and "问题5" not in message and message.rstrip("）)").endswith("…")
    assert "…" not in not_ready(missing[:2])
