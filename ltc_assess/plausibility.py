"""What a supervisor is warned about before deciding (pure rules over two records' answers, levels and dates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ltc_assess.i18n import _

# A level two or more steps better within this many months is worth a second look.
IMPROVEMENT_STEPS, IMPROVEMENT_MONTHS = 2, 6


def changed_items(answers: Mapping[str, Any], previous: Mapping[str, Any]) -> tuple[str, ...]:
    """The items whose answers differ between two assessments, sorted by id."""
    return tuple(k for k in sorted(set(answers) | set(previous)) if answers.get(k) != previous.get(k))


def improvement_warning(previous_level: int | None, level: int | None, previous_date: str, date: str) -> str | None:
    """A warning when the level improved two or more steps within six months (else None)."""
    if previous_level is None or level is None:
        return None
    months = (dt.date.fromisoformat(date) - dt.date.fromisoformat(previous_date)).days / 30.4
    if previous_level - level >= IMPROVEMENT_STEPS and months <= IMPROVEMENT_MONTHS:
        return _("等级在{months}个月内改善两级或以上（{before} → {after}），请核实").format(
            months=f"{months:.0f}", before=previous_level, after=level
        )
    return None
