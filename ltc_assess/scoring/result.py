"""The engine's output: immutable values plus the DESIGN §2.2 JSON shape insurers' scripts read.

The many small parts are NamedTuples rather than frozen dataclasses: they are built for every case in
batch scoring, and frozen-dataclass construction alone cost a third of the time per case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ltc_assess.i18n import SOURCE_LANGUAGE, Bilingual, Msg, say


class DimensionResult(NamedTuple):
    """One first-level indicator. ``score`` is None until every item of it is answered."""

    id: str
    label: str
    score: int | None
    max: int | None
    grade: int | None
    grade_name: str | None
    answered: int
    item_count: int
    partial_sum: int  # sum of the answered items, for live display while incomplete


class Adjustment(NamedTuple):
    """A level-change rule that fired."""

    rule: str
    text: str
    effect: str  # "+1" or "=4"


class TraceStep(NamedTuple):
    """One rule applied: which, on what inputs, with what result, and why in plain words (``says``, any language;
    ``text`` is the Chinese the score JSON carries)."""

    rule: str
    inputs: dict[str, Any]
    output: str
    says: Msg

    @property
    def text(self) -> str:
        return say(self.says, SOURCE_LANGUAGE)


class Warning(NamedTuple):
    """A consistency (plausibility) warning shown next to the items involved."""

    id: str
    items: tuple[str, ...]
    says: Msg | Bilingual  # a message of ours, or the form's own wording

    @property
    def text(self) -> str:
        """In Chinese, as the score JSON carries it."""
        return say(self.says, SOURCE_LANGUAGE)


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """Everything the engine concluded for one answer set."""

    form_id: str
    form_version: int
    form_sha256: str
    engine_version: str
    status: str
    dimensions: tuple[DimensionResult, ...]
    total: int | None
    initial_level: int | None
    initial_level_name: str | None
    final_level: int | None
    final_level_name: str | None
    adjustments: tuple[Adjustment, ...]
    trace: tuple[TraceStep, ...]
    warnings: tuple[Warning, ...]
    missing: tuple[str, ...]  # required scored items without an answer (partial scoring only)
    # MISSING-RULE-INPUT: inputs of level rules left blank (scored as 无); kept apart from the form's
    # consistency ``warnings`` and added to them in the output object
    blank_rule_inputs: Warning | None = None

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def provisional_level(self) -> bool:
        """The level stands only until the blank inputs of level rules are answered."""
        return self.blank_rule_inputs is not None

    @property
    def all_warnings(self) -> tuple[Warning, ...]:
        """Consistency warnings, then MISSING-RULE-INPUT when level rules' inputs are blank."""
        return self.warnings + ((self.blank_rule_inputs,) if self.blank_rule_inputs else ())

    def dimension(self, dim_id: str) -> DimensionResult:
        return next(d for d in self.dimensions if d.id == dim_id)

    def to_dict(self, case_id: str | None = None) -> dict[str, Any]:
        """The public output object (DESIGN §2.2); field names and level names are a contract."""

        def level(code: int | None, name: str | None) -> dict[str, Any] | None:
            return None if code is None else {"code": code, "name": name}

        return {
            "id": case_id,
            "form": self.form_id,
            "form_version": self.form_version,
            "form_sha256": self.form_sha256,
            "engine_version": self.engine_version,
            "status": self.status,
            "dimensions": {
                d.id: {"score": d.score, "max": d.max, "grade": level(d.grade, d.grade_name)} for d in self.dimensions
            },
            "total": self.total,
            "initial_level": level(self.initial_level, self.initial_level_name),
            "final_level": level(self.final_level, self.final_level_name),
            "adjustments": [{"rule": a.rule, "text": a.text, "effect": a.effect} for a in self.adjustments],
            "trace": [{"rule": t.rule, "inputs": t.inputs, "output": t.output, "text": t.text} for t in self.trace],
            "warnings": [{"id": w.id, "items": list(w.items), "text": w.text} for w in self.all_warnings],
        }
