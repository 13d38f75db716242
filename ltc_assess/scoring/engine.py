"""The scoring engine: answers -> dimension scores, grades, initial and final level, with a full trace.

Pure and deterministic: no I/O, no clock, no module state. Everything form-specific is data in the form
file; this module only knows the rule *kinds* (sum, bands, rule table, matrix, adjustments). A form is
compiled once into a plan (kept on the form object) so batch scoring stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ltc_assess.errors import AnswerError, ErrorCode
from ltc_assess.schema.answers import Checker, checkers, default_answers
from ltc_assess.schema.expressions import Expression
from ltc_assess.schema.model import (
    BandsRule,
    ComputedItem,
    Dimension,
    FormDef,
    MatrixRule,
    Named,
    RulesTable,
)
from ltc_assess.scoring.result import Adjustment, DimensionResult, ScoreResult, TraceStep, Warning

ENGINE_VERSION = "1.0.0"


@dataclass(frozen=True, slots=True)
class _DimPlan:
    dim: Dimension
    label: str
    items: tuple[str, ...]
    max: int | None


@dataclass(frozen=True, slots=True)
class _Plan:
    form_id: str
    form_version: int
    form_sha256: str
    status: str
    has_total: bool
    checkers: dict[str, Checker]
    defaults: dict[str, Any]
    required: tuple[tuple[str, Expression | None], ...]  # scored items: (id, required_if or None=always)
    computed: tuple[tuple[str, Expression], ...]
    dims: tuple[_DimPlan, ...]
    grade_names: dict[int, str]
    level_names: dict[int, str]
    top_level: int


def _plan(form: FormDef) -> _Plan:
    # Read the private slot directly: pydantic's private-attribute lookup costs more than scoring a case.
    cached = form.__pydantic_private__.get("_plan")  # type: ignore[union-attr]
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    items = form.items
    required: list[tuple[str, Expression | None]] = []
    for item_id in form.scored_items:
        item = items[item_id]
        if item.required_if is not None:
            required.append((item_id, item.required_if))
        elif item.required:
            required.append((item_id, None))
    dims = []
    for dim in form.scoring.dimensions:
        maxima = [max(c.value for c in items[i].choices) for i in dim.items]  # type: ignore[union-attr]
        dims.append(_DimPlan(dim, dim.label.zh_CN, dim.items, sum(maxima) if dim.summed else None))  # type: ignore[arg-type]
    plan = _Plan(
        form_id=form.form,
        form_version=form.version,
        form_sha256=form.sha256,
        status=form.status,
        has_total=form.scoring.total,
        checkers=checkers(form),
        defaults=default_answers(form),
        required=tuple(required),
        computed=tuple((i, it.expression) for i, it in items.items() if isinstance(it, ComputedItem)),
        dims=tuple(dims),
        grade_names=_names(form.scoring.grades or ()),
        level_names=_names(form.scoring.levels),
        top_level=max(lv.code for lv in form.scoring.levels),
    )
    form._plan = plan
    return plan


def _names(named: tuple[Named, ...]) -> dict[int, str]:
    return {n.code: n.name.zh_CN for n in named}


def _fmt_num(x: float) -> str:
    return f"{x:g}"


def _band_text(band_min: float, band_max: float) -> str:
    return _fmt_num(band_min) if band_min == band_max else f"{_fmt_num(band_min)}–{_fmt_num(band_max)}"


def _apply_rule(
    rule: BandsRule | RulesTable | MatrixRule,
    env: Mapping[str, Any],
    value: Any,
    names: dict[int, str],
    subject: str,
) -> tuple[int | None, dict[str, Any], str]:
    """Evaluate a grading/level rule; returns (code, inputs, explanation)."""
    if isinstance(rule, BandsRule):
        if rule.input is not None:
            value = rule.input(env)
        inputs = {"value": value}
        if value is None:
            return None, inputs, f"{subject}：数据不完整，无法判定"
        for band in rule.bands:
            if band.min <= value <= band.max:
                span = _band_text(band.min, band.max)
                return band.code, inputs, f"{subject}：{_fmt_num(value)}分，落在{span}区间 → {names[band.code]}"
        return None, inputs, f"{subject}：{_fmt_num(value)}分不在任何区间内"
    if isinstance(rule, RulesTable):
        refs = tuple(dict.fromkeys(r for row in rule.rules for r in row.when.refs))
        inputs = {r: env.get(r) for r in refs}
        for n, row in enumerate(rule.rules, 1):
            if row.when(env):
                why = row.text.zh_CN if row.text else row.when.source
                return row.code, inputs, f"{subject}：第{n}条规则成立（{why}）→ {names[row.code]}"
        if rule.otherwise is not None and all(v is not None for v in inputs.values()):
            return rule.otherwise, inputs, f"{subject}：其余情况 → {names[rule.otherwise]}"
        return None, inputs, f"{subject}：数据不完整，无法判定"
    r, c = rule.rows(env), rule.columns(env)
    inputs = {"row": r, "column": c}
    if r is None or c is None:
        return None, inputs, f"{subject}：数据不完整，无法判定"
    code = rule.cells[r][c]
    return code, inputs, (
        f"{subject}：{rule.row_label.zh_CN}第{r}行 × {rule.column_label.zh_CN}第{c}列 → {names[code]}"
    )


def _validate(plan: _Plan, form: FormDef, answers: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    env = dict(plan.defaults)
    check = plan.checkers
    for item_id, value in answers.items():
        checker = check.get(item_id)
        if checker is None:
            raise AnswerError(ErrorCode.ANSWER_UNKNOWN, f"unknown item {item_id!r} in form {form.ref}", item=item_id)
        if value is None:
            continue
        checker(value)
        env[item_id] = value
    for item_id, expr in plan.computed:
        env[item_id] = expr(env)
    return env


def score(form: FormDef, answers: Mapping[str, Any], partial: bool = False) -> ScoreResult:
    """Score one answer set.

    Args:
        form: a loaded form definition.
        answers: item id -> value (values as in spec/README.md: option scores for scored items).
        partial: tolerate missing required items (live preview in the wizard); scores that need them
            are ``None``.

    Raises:
        AnswerError: an unknown item, a value outside the item's allowed set, or (unless ``partial``) a
            missing required scored item — each naming the item.
    """
    plan = _plan(form)
    env = _validate(plan, form, answers, partial)
    missing = tuple(
        item_id
        for item_id, cond in plan.required
        if env.get(item_id) is None and (cond is None or cond(env))
    )
    if missing and not partial:
        item = form.items[missing[0]]
        values = ", ".join(str(c.value) for c in sorted(item.choices, key=lambda c: c.value))  # type: ignore[union-attr]
        raise AnswerError(
            ErrorCode.ANSWER_MISSING,
            f"required item {missing[0]} ({item.label.zh_CN}) has no answer; allowed values: {values}"
            + (f" ({len(missing) - 1} more missing)" if len(missing) > 1 else ""),
            item=missing[0],
        )

    trace: list[TraceStep] = []
    dims: list[DimensionResult] = []
    summed_total: int | None = 0
    for dp in plan.dims:
        vals = [env.get(i) for i in dp.items]
        present = [v for v in vals if v is not None]
        complete = len(present) == len(vals)
        dim_score = sum(present) if complete and dp.dim.summed else None
        if dp.dim.summed:
            env[dp.dim.id] = dim_score
            summed_total = None if summed_total is None or dim_score is None else summed_total + dim_score
            parts = "+".join("?" if v is None else str(v) for v in vals)
            result = "不完整" if dim_score is None else f"{dim_score}/{dp.max}"
            trace.append(TraceStep(
                f"sum:{dp.dim.id}", dict(zip(dp.items, vals, strict=True)), result,
                f"{dp.label} = {parts} = {result}",
            ))
        grade = None
        if dp.dim.grade is not None:
            grade, inputs, text = _apply_rule(dp.dim.grade, env, dim_score, plan.grade_names, f"{dp.label}分级")
            env[f"{dp.dim.id}.grade"] = grade
            out = "—" if grade is None else f"{grade} {plan.grade_names[grade]}"
            trace.append(TraceStep(f"grade:{dp.dim.id}", inputs, out, text))
        dims.append(DimensionResult(
            id=dp.dim.id, label=dp.label, score=dim_score, max=dp.max, grade=grade,
            grade_name=None if grade is None else plan.grade_names[grade],
            answered=len(present), count=len(vals), partial_sum=sum(present),
        ))

    total = None
    if plan.has_total:
        total = summed_total
        env["total"] = total
        total_max = sum(d.max or 0 for d in dims if d.max is not None)
        out = "不完整" if total is None else f"{total}/{total_max}"
        trace.append(TraceStep("total", {d.id: d.score for d in dims if d.max is not None}, out, f"总分 = {out}"))

    initial, inputs, text = _apply_rule(form.scoring.initial_level, env, None, plan.level_names, "初步等级")
    env["initial_level"] = initial
    trace.append(TraceStep(
        "initial_level", inputs, "—" if initial is None else f"{initial} {plan.level_names[initial]}", text,
    ))
    final, fired = _adjust(form, plan, env, initial, trace)
    warnings = tuple(
        Warning(rule.id, rule.items, rule.message.zh_CN, rule.message.en)
        for rule in form.consistency
        if rule.when(env)
    )
    return ScoreResult(
        form_id=plan.form_id,
        form_version=plan.form_version,
        form_sha256=plan.form_sha256,
        engine_version=ENGINE_VERSION,
        status=plan.status,
        dimensions=tuple(dims),
        total=total,
        initial_level=initial,
        initial_level_name=plan.level_names.get(initial) if initial is not None else None,
        final_level=final,
        final_level_name=plan.level_names.get(final) if final is not None else None,
        adjustments=fired,
        trace=tuple(trace),
        warnings=warnings,
        missing=missing,
    )


def _adjust(
    form: FormDef, plan: _Plan, env: Mapping[str, Any], initial: int | None, trace: list[TraceStep]
) -> tuple[int | None, tuple[Adjustment, ...]]:
    """Apply level-change rules: any ``set`` wins (highest); raises stack per ``stacking``, capped."""
    spec = form.scoring.adjustments
    names = plan.level_names
    if spec is None:
        trace.append(_final_step(initial, names, "无等级变更规则，最终等级 = 初步等级", {"initial": initial}))
        return initial, ()
    fired: list[Adjustment] = []
    sets: list[int] = []
    raises: list[int] = []
    for rule in spec.rules:
        hit = bool(rule.when(env))
        inputs = {r: env.get(r) for r in rule.when.refs}
        eff = rule.effect
        effect = f"={eff.set}" if eff.set is not None else f"+{eff.raise_}"
        trace.append(TraceStep(
            f"adjust:{rule.id}", inputs, "fired" if hit else "not fired",
            f"{rule.id}{'成立' if hit else '不成立'}：{rule.text.zh_CN}",
        ))
        if hit:
            fired.append(Adjustment(rule.id, rule.text.zh_CN, effect))
            if eff.set is not None:
                sets.append(eff.set)
            else:
                raises.append(eff.raise_ or 0)
    cap = spec.cap if spec.cap is not None else plan.top_level
    inputs = {"initial": initial, "sets": sets, "raises": raises, "stacking": spec.stacking, "cap": cap}
    if sets:
        final = max(sets)
        text = f"直接评定：{final} {names[final]}（不论初步等级）"
    elif initial is None:
        return None, tuple(fired)
    elif raises:
        step = max(raises) if spec.stacking == "max_one" else sum(raises)
        final = initial if initial >= cap else min(cap, initial + step)
        how = "多项成立时至多提高一级" if spec.stacking == "max_one" and len(raises) > 1 else "逐项累加"
        if len(raises) == 1:
            how = "提高一级" if step == 1 else f"提高{step}级"
        capped = "，已达上限" if initial + step > cap else ""
        text = f"初步等级{initial}，{how}{capped} → 最终等级{final} {names[final]}"
    else:
        final = initial
        text = f"无等级变更，最终等级 = 初步等级 {initial} {names[initial]}"
    trace.append(_final_step(final, names, text, inputs))
    return final, tuple(fired)


def _final_step(final: int | None, names: dict[int, str], text: str, inputs: dict[str, Any]) -> TraceStep:
    return TraceStep("final_level", inputs, "—" if final is None else f"{final} {names[final]}", text)
