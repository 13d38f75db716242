"""The supervisor's plausibility warnings, as plain rules (no database)."""

from __future__ import annotations

import pytest

from ltc_assess.plausibility import changed_items, improvement_warning


def test_changed_items_lists_every_differing_answer_once_in_id_order() -> None:
    """Test that changed, added and removed answers count, unchanged ones do not."""
    now = {"B.2": 5, "A.1": 10, "C.1": 0}
    before = {"A.1": 10, "B.2": 10, "D.4": 1}
    assert changed_items(now, before) == ("B.2", "C.1", "D.4")
    assert changed_items(now, now) == ()


@pytest.mark.parametrize(
    ("previous", "level", "before", "after", "warned"),
    [
        (4, 2, "2026-01-10", "2026-06-10", True),  # two steps better within five months
        (4, 3, "2026-01-10", "2026-03-10", False),  # one step only
        (4, 2, "2025-01-10", "2026-01-10", False),  # two steps, but after a year
        (2, 4, "2026-01-10", "2026-02-10", False),  # worse is no surprise
        (None, 2, "2026-01-10", "2026-02-10", False),  # no earlier level
    ],
)
def test_a_big_improvement_within_six_months_is_flagged(
    previous: int | None, level: int, before: str, after: str, warned: bool
) -> None:
    """Test the two-steps-within-six-months rule and the warning naming both levels."""
    warning = improvement_warning(previous, level, before, after)
    assert (warning is not None) == warned
    if warned:
        assert f"{previous} → {level}" in warning  # type: ignore[operator]
