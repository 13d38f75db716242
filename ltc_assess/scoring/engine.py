"""The scoring engine: answers -> dimension scores, grades, initial and final level, with a full trace.

Pure and deterministic: no I/O, no clock, no module state. Everything form-specific is data in the form
file; this module only knows the rule *kinds* (sum, bands, rule table, matrix, adjustments). A form is
compiled once into a plan (kept on the form object) so batch scoring stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ltc_assess.errors import AnswerError, ErrorCode
from ltc_assess.schema.model import (
    BandsRule,
    FormDef,
    MatrixRule,
    RulesTable,
)
from ltc_assess.scoring.plan import Plan, compiled
from ltc_assess.scoring.result import Adjustment, DimensionResult, ScoreResult, TraceStep, Warning

MISSING_RULE_INPUT = "MISSING-RULE-INPUT"

ENGINE_VERSION = "1.1.0"  # 1.1: the MISSING-RULE-INPUT warning and "未填写，按无处理" in the trace


def _fmt_num(x: float) -> str:
    return f"{x:g}"


def _band_text(band_min: float, band_max: float) -> str:
    return _fmt_num(band_min) if band_min == band_max else f"{_fmt_num(band_min)}–{_fmt_num(band_max)}"


def _unknown(subject: str) -> str:
    return f"{subject}：数据不完整，无法判定"


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
            return None, inputs, _unknown(subject)
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
        return None, inputs, _unknown(subject)
    r, c = rule.rows(env), rule.columns(env)
    inputs = {"row": r, "column": c}
    if r is None or c is None:
        return None, inputs, _unknown(subject)
    code = rule.cells[r][c]
    return (
        code,
        inputs,
        (f"{subject}：{rule.row_label.zh_CN}第{r}行 × {rule.column_label.zh_CN}第{c}列 → {names[code]}"),
    )


def _validate(plan: Plan, form: FormDef, answers: Mapping[str, Any]) -> dict[str, Any]:
    env = dict(plan.defaults)
    check = plan.checkers
    fast = plan.choice_sets
    for item_id, value in answers.items():
        allowed = fast.get(item_id)
        # Fast path for single choices; the checker is still the one that decides (and words the error).
        # (lists and objects cannot be looked up in the set: the checker words their error)
        if allowed is None or isinstance(value, list | dict) or (type(value), value) not in allowed:
            checker = check.get(item_id)
            if checker is None:
                msg = f"unknown item {item_id!r} in form {form.ref}"
                raise AnswerError(ErrorCode.ANSWER_UNKNOWN, msg, item=item_id)
            if value is None:
                continue
            checker(value)
        env[item_id] = value
    for item_id, expr in plan.computed:
        env[item_id] = expr.evaluate(env)
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
    plan = compiled(form)
    env = _validate(plan, form, answers)
    get = env.get
    missing: tuple[str, ...] = ()
    if any(get(i) is None for _, ids in plan.required for i in ids):  # conditions only matter then
        missing = tuple(
            i for cond, ids in plan.required if cond is None or cond.evaluate(env) for i in ids if get(i) is None
        )
    if missing and not partial:
        item = form.items[missing[0]]
        values = ", ".join(str(v) for v in sorted(form.choice_scores(missing[0])))
        raise AnswerError(
            ErrorCode.ANSWER_MISSING,
            f"required item {missing[0]} ({item.label.zh_CN}) has no answer; allowed values: {values}"
            + (f" ({len(missing) - 1} more missing)" if len(missing) > 1 else ""),
            item=missing[0],
        )

    # inputs of level rules the answers leave blank: scored as 无 (the contract), but never silently
    blank = [r for r in plan.rule_inputs if answers.get(r[0]) is None]
    incomplete = set(missing)
    trace: list[TraceStep] = []
    dims: list[DimensionResult] = []
    summed_total: int | None = 0
    for dp in plan.dims:
        vals = [get(i) for i in dp.items]
        given = [v for v in vals if v is not None]
        complete = len(given) == len(vals)
        answered_sum = sum(given)
        answered = len(given)
        dim_score = answered_sum if complete and dp.dim.summed else None
        if dp.dim.summed:
            env[dp.dim.id] = dim_score
            summed_total = None if summed_total is None or dim_score is None else summed_total + dim_score
            if complete:
                result = f"{dim_score}/{dp.max}"
                parts = "+".join(map(str, vals))
            else:
                result = "不完整"
                parts = "+".join("?" if v is None else str(v) for v in vals)
            trace.append(
                TraceStep(
                    dp.rule_id,
                    dict(zip(dp.items, vals)),  # noqa: B905 - same length by construction; strict costs per case
                    result,
                    f"{dp.label} = {parts} = {result}",
                )
            )
        grade = None
        if dp.dim.grade is not None:
            subject = f"{dp.label}分级"
            if incomplete.intersection(dp.items):  # a rule could fire on the answers so far, then change
                grade, inputs, text = None, {"missing": sorted(incomplete.intersection(dp.items))}, _unknown(subject)
            else:
                grade, inputs, text = _apply_rule(dp.dim.grade, env, dim_score, plan.grade_names, subject)
            env[f"{dp.dim.id}.grade"] = grade
            out = "—" if grade is None else f"{grade} {plan.grade_names[grade]}"
            trace.append(TraceStep(f"grade:{dp.dim.id}", inputs, out, text))
        dims.append(
            DimensionResult(
                id=dp.dim.id,
                label=dp.label,
                score=dim_score,
                max=dp.max,
                grade=grade,
                grade_name=None if grade is None else plan.grade_names[grade],
                answered=answered,
                item_count=len(vals),
                partial_sum=answered_sum,
            )
        )

    total = None
    if plan.has_total:
        total = summed_total
        env["total"] = total
        total_max = sum(d.max or 0 for d in dims if d.max is not None)
        out = "不完整" if total is None else f"{total}/{total_max}"
        trace.append(TraceStep("total", {d.id: d.score for d in dims if d.max is not None}, out, f"总分 = {out}"))

    if incomplete:  # partial scoring: no level while a required scored item is open (it could change it)
        initial, inputs, text = None, {"missing": list(missing)}, _unknown("初步等级")
    else:
        initial, inputs, text = _apply_rule(form.scoring.initial_level, env, None, plan.level_names, "初步等级")
    env["initial_level"] = initial
    trace.append(
        TraceStep(
            "initial_level",
            inputs,
            "—" if initial is None else f"{initial} {plan.level_names[initial]}",
            text,
        )
    )
    final, fired = _adjust(form, plan, env, initial, trace, {r[0] for r in blank})
    warnings = tuple(
        Warning(rule.id, rule.items, rule.message.zh_CN, rule.message.en) for rule in form.consistency if rule.when(env)
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
        blank_rule_inputs=_blank_warning(blank) if blank else None,
    )


def _blank_warning(blank: list[tuple[str, str, str]]) -> Warning:
    zh = "；".join(f"{i} {label}" for i, label, _en in blank)
    en = "; ".join(f"{i} {label}" for i, _zh, label in blank)
    return Warning(
        MISSING_RULE_INPUT,
        tuple(i for i, _zh, _en in blank),
        f"等级变更规则的输入未填写，已按“无”处理：{zh}。提交前须逐项填写（包括“无”）",
        f"Inputs of level rules not answered, treated as none: {en}. Each must be answered (none included) "
        "before submission",
    )


def _adjust(
    form: FormDef,
    plan: Plan,
    env: Mapping[str, Any],
    initial: int | None,
    trace: list[TraceStep],
    blank: set[str],
) -> tuple[int | None, tuple[Adjustment, ...]]:
    """Apply level-change rules: any ``set`` wins (highest); raises stack per ``stacking``, capped.

    A rule that does not fire while one of its inputs is ``blank`` is traced as "未填写，按无处理", with
    those inputs shown as None (not the 无 they were scored as): it did not fire for want of an answer.
    """
    spec = form.scoring.adjustments
    names = plan.level_names
    if spec is None:
        trace.append(_final_step(initial, names, "无等级变更规则，最终等级 = 初步等级", {"initial": initial}))
        return initial, ()
    fired: list[Adjustment] = []
    sets: list[int] = []
    raises: list[int] = []
    get = env.get
    for rule in plan.adjustments:
        hit = bool(rule.evaluate(env))
        unanswered = sorted(blank.intersection(rule.refs)) if blank and not hit else []
        inputs = {r: None if r in unanswered else get(r) for r in rule.refs}
        if unanswered:
            text = f"{rule.fired.rule}未填写，按无处理（{'、'.join(unanswered)}）：{rule.text}"
        else:
            text = rule.texts[hit]
        trace.append(TraceStep(rule.trace_id, inputs, "fired" if hit else "not fired", text))
        if hit:
            fired.append(rule.fired)
            if rule.set is not None:
                sets.append(rule.set)
            else:
                raises.append(rule.raise_)
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
