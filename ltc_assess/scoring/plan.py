"""A form compiled for scoring: checkers, required items by condition, dimensions, level names and adjustment
rules looked up once and kept on the form object, so that batch scoring does no per-case lookups."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ltc_assess.i18n import N_, Msg
from ltc_assess.schema.answers import Checker, checkers, default_answers
from ltc_assess.schema.expressions import Expression
from ltc_assess.schema.model import Adjustment as AdjustmentRule
from ltc_assess.schema.model import ComputedItem, Dimension, FormDef, Named, SingleChoiceItem, Text
from ltc_assess.schema.rule_inputs import rule_inputs
from ltc_assess.scoring.result import Adjustment


@dataclass(frozen=True, slots=True)
class DimPlan:
    """One dimension: its items, trace id and maximum (None when it is graded, not summed)."""

    dim: Dimension
    rule_id: str  # trace id, e.g. "sum:self_care"
    label: str
    items: tuple[str, ...]
    max: int | None


@dataclass(frozen=True, slots=True)
class AdjPlan:
    """One level adjustment rule, ready to evaluate, with its trace texts."""

    trace_id: str
    evaluate: Callable[[Mapping[str, Any]], Any]
    refs: tuple[str, ...]
    set: int | None
    raise_: int
    texts: tuple[Msg, Msg]  # (not fired, fired)
    fired: Adjustment
    text: Text  # the standard's wording, for the trace when an input was left blank


def _adjustment_plan(rule: AdjustmentRule) -> AdjPlan:
    eff = rule.effect
    text = rule.text
    return AdjPlan(
        trace_id=f"adjust:{rule.id}",
        evaluate=rule.when.evaluate,
        refs=rule.when.refs,
        set=eff.set,
        raise_=eff.raise_ or 0,
        texts=(
            Msg(N_("{rule}不成立：{text}"), {"rule": rule.id, "text": text}),
            Msg(N_("{rule}成立：{text}"), {"rule": rule.id, "text": text}),
        ),
        text=text,
        fired=Adjustment(rule.id, text.zh_CN, f"={eff.set}" if eff.set is not None else f"+{eff.raise_}"),
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything scoring needs from a form, looked up once."""

    form_id: str
    form_version: int
    form_sha256: str
    status: str
    has_total: bool
    checkers: dict[str, Checker]
    choice_sets: dict[str, frozenset[tuple[type, Any]]]  # single-choice items: allowed (type, value) pairs
    defaults: dict[str, Any]
    # scored items grouped by their condition (None = always required); a shared condition such as
    # "not in a coma" is evaluated once per case, not once per item
    required: tuple[tuple[Expression | None, tuple[str, ...]], ...]
    computed: tuple[tuple[str, Expression], ...]
    dims: tuple[DimPlan, ...]
    grade_names: dict[int, Text]
    level_names: dict[int, Text]
    top_level: int
    adjustments: tuple[AdjPlan, ...]
    rule_inputs: tuple[tuple[str, Text], ...]  # (item id, label) of level rules' inputs


def compiled(form: FormDef) -> Plan:
    """The form's plan, compiled on first use and kept on the form object."""
    # Read the private slot directly: pydantic's private-attribute lookup costs more than scoring a case.
    # pydantic types the slot Optional; a model with private attributes always has it.
    cached: Plan | None = form.__pydantic_private__.get("_plan")  # type: ignore[union-attr]
    if cached is not None:
        return cached
    items = form.items
    by_condition: dict[str | None, tuple[Expression | None, list[str]]] = {}
    for item_id in form.scored_items:
        cond = items[item_id].required_if
        if cond is not None or items[item_id].required:
            key = None if cond is None else cond.source
            by_condition.setdefault(key, (cond, []))[1].append(item_id)
    rules = form.scoring.adjustments.rules if form.scoring.adjustments else ()
    dims = []
    for dim in form.scoring.dimensions:
        maxima = [max(form.choice_scores(i)) for i in dim.items]
        dims.append(DimPlan(dim, f"sum:{dim.id}", dim.label.zh_CN, dim.items, sum(maxima) if dim.summed else None))
    plan = Plan(
        form_id=form.form,
        form_version=form.version,
        form_sha256=form.sha256,
        status=form.status,
        has_total=form.scoring.total,
        checkers=checkers(form),
        choice_sets={
            i: frozenset((type(c.value), c.value) for c in it.choices)
            for i, it in items.items()
            if isinstance(it, SingleChoiceItem)
        },
        defaults=default_answers(form),
        required=tuple((cond, tuple(ids)) for cond, ids in by_condition.values()),
        computed=tuple((i, it.expression) for i, it in items.items() if isinstance(it, ComputedItem)),
        dims=tuple(dims),
        grade_names=_names(form.scoring.grades or ()),
        level_names=_names(form.scoring.levels),
        top_level=max(lv.code for lv in form.scoring.levels),
        adjustments=tuple(_adjustment_plan(r) for r in rules),
        rule_inputs=tuple((i, items[i].label) for i in rule_inputs(form)),
    )
    form._plan = plan
    return plan


def _names(named: tuple[Named, ...]) -> dict[int, Text]:
    return {n.code: n.name for n in named}
