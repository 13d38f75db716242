"""The scoring engine: answers -> dimension scores, grades, initial and final level, with a full trace.

Pure and deterministic: no I/O, no clock, no module state. Everything form-specific is data in the form
file; this module only knows the rule *kinds* (sum, bands, rule table, matrix, adjustments). A form is
compiled once into a plan (kept on the form object) so batch scoring stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ltc_assess.errors import AnswerError, ErrorCode
from ltc_assess.i18n import N_, Msg, _, say
from ltc_assess.schema.model import (
    BandsRule,
    FormDef,
    MatrixRule,
    RulesTable,
    Text,
)
from ltc_assess.scoring.plan import Plan, compiled
from ltc_assess.scoring.result import Adjustment, DimensionResult, ScoreResult, TraceStep, Warning

MISSING_RULE_INPUT = "MISSING-RULE-INPUT"

ENGINE_VERSION = "1.1.0"  # 1.1: the MISSING-RULE-INPUT warning and "未填写，按无处理" in the trace


def _zh(names: dict[int, Text], code: int | None) -> str | None:
    name = None if code is None else names.get(code)
    return None if name is None else name.zh_CN


_INITIAL = Msg(N_("初步等级"))


def _fmt_num(x: float) -> str:
    return f"{x:g}"


def _band_text(band_min: float, band_max: float) -> str:
    return _fmt_num(band_min) if band_min == band_max else f"{_fmt_num(band_min)}–{_fmt_num(band_max)}"


def _unknown(subject: Msg) -> Msg:
    return Msg(N_("{subject}：数据不完整，无法判定"), {"subject": subject})


def _apply_rule(
    rule: BandsRule | RulesTable | MatrixRule,
    env: Mapping[str, Any],
    value: Any,
    names: dict[int, Text],
    subject: Msg,
    grade_names: Mapping[int, Text] | None = None,
) -> tuple[int | None, dict[str, Any], Msg]:
    """Evaluate a grading/level rule; returns (code, inputs, explanation). A matrix's row and column are named
    by ``grade_names`` (the dimension grades they stand for), with their index beside."""
    if isinstance(rule, BandsRule):
        if rule.input is not None:
            value = rule.input(env)
        inputs = {"value": value}
        if value is None:
            return None, inputs, _unknown(subject)
        for band in rule.bands:
            if band.min <= value <= band.max:
                span = _band_text(band.min, band.max)
                said = {"subject": subject, "value": _fmt_num(value), "span": span, "name": names[band.code]}
                return band.code, inputs, Msg(N_("{subject}：{value}分，落在{span}区间 → {name}"), said)
        return (
            None,
            inputs,
            Msg(N_("{subject}：{value}分不在任何区间内"), {"subject": subject, "value": _fmt_num(value)}),
        )
    if isinstance(rule, RulesTable):
        refs = tuple(dict.fromkeys(r for row in rule.rules for r in row.when.refs))
        inputs = {r: env.get(r) for r in refs}
        for n, row in enumerate(rule.rules, 1):
            if row.when(env):
                said = {"subject": subject, "n": n, "why": row.text or row.when.source, "name": names[row.code]}
                return row.code, inputs, Msg(N_("{subject}：第{n}条规则成立（{why}）→ {name}"), said)
        if rule.otherwise is not None and all(v is not None for v in inputs.values()):
            said = {"subject": subject, "name": names[rule.otherwise]}
            return rule.otherwise, inputs, Msg(N_("{subject}：其余情况 → {name}"), said)
        return None, inputs, _unknown(subject)
    r, c = rule.rows(env), rule.columns(env)
    inputs = {"row": r, "column": c}
    if r is None or c is None:
        return None, inputs, _unknown(subject)
    code = rule.cells[r][c]
    axis = grade_names or {}
    at_row = _at(axis, r, N_("“{name}”（第{index}行）"), N_("第{index}行"))
    at_column = _at(axis, c, N_("“{name}”（第{index}列）"), N_("第{index}列"))
    said = {"subject": subject, "rows": rule.row_label, "row": at_row, "columns": rule.column_label}
    said |= {"column": at_column, "name": names[code]}
    return code, inputs, Msg(N_("{subject}：{rows}{row} × {columns}{column} → {name}"), said)


def _at(axis: Mapping[int, Text], index: int, named: str, unnamed: str) -> Msg:
    """A matrix row or column: the grade it stands for, with its index beside (the index alone if unnamed)."""
    return Msg(named, {"name": axis[index], "index": index}) if index in axis else Msg(unnamed, {"index": index})


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
                msg = _("表单 {ref} 中没有条目 {item_id!r}").format(item_id=item_id, ref=form.ref)
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
            _("必答条目 {item}（{label}）未作答；允许的值：{values}{more}").format(
                item=missing[0],
                label=say(item.label),
                values=values,
                more=_("（另有 {count} 项未答）").format(count=len(missing) - 1) if len(missing) > 1 else "",
            ),
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
            result: Msg | str
            if complete:
                result = f"{dim_score}/{dp.max}"
                parts = "+".join(map(str, vals))
            else:
                result = Msg(N_("不完整"))
                parts = "+".join("?" if v is None else str(v) for v in vals)
            trace.append(
                TraceStep(
                    dp.rule_id,
                    dict(zip(dp.items, vals)),  # noqa: B905 - same length by construction; strict costs per case
                    str(result),
                    Msg(N_("{label} = {parts} = {result}"), {"label": dp.dim.label, "parts": parts, "result": result}),
                )
            )
        grade = None
        if dp.dim.grade is not None:
            subject = Msg(N_("{label}分级"), {"label": dp.dim.label})
            if incomplete.intersection(dp.items):  # a rule could fire on the answers so far, then change
                grade, inputs, text = None, {"missing": sorted(incomplete.intersection(dp.items))}, _unknown(subject)
            else:
                grade, inputs, text = _apply_rule(dp.dim.grade, env, dim_score, plan.grade_names, subject)
            env[f"{dp.dim.id}.grade"] = grade
            out = "—" if grade is None else f"{grade} {plan.grade_names[grade].zh_CN}"
            trace.append(TraceStep(f"grade:{dp.dim.id}", inputs, out, text))
        dims.append(
            DimensionResult(
                id=dp.dim.id,
                label=dp.label,
                score=dim_score,
                max=dp.max,
                grade=grade,
                grade_name=None if grade is None else plan.grade_names[grade].zh_CN,
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
        shown: Msg | str = Msg(N_("不完整")) if total is None else f"{total}/{total_max}"
        said = Msg(N_("总分 = {out}"), {"out": shown})
        trace.append(TraceStep("total", {d.id: d.score for d in dims if d.max is not None}, str(shown), said))

    if incomplete:  # partial scoring: no level while a required scored item is open (it could change it)
        initial, inputs, text = None, {"missing": list(missing)}, _unknown(_INITIAL)
    else:
        initial, inputs, text = _apply_rule(
            form.scoring.initial_level, env, None, plan.level_names, _INITIAL, plan.grade_names
        )
    env["initial_level"] = initial
    trace.append(
        TraceStep(
            "initial_level",
            inputs,
            "—" if initial is None else f"{initial} {plan.level_names[initial].zh_CN}",
            text,
        )
    )
    final, fired = _adjust(form, plan, env, initial, trace, {r[0] for r in blank})
    warnings = tuple(Warning(rule.id, rule.items, rule.message) for rule in form.consistency if rule.when(env))
    return ScoreResult(
        form_id=plan.form_id,
        form_version=plan.form_version,
        form_sha256=plan.form_sha256,
        engine_version=ENGINE_VERSION,
        status=plan.status,
        dimensions=tuple(dims),
        total=total,
        initial_level=initial,
        initial_level_name=_zh(plan.level_names, initial),
        final_level=final,
        final_level_name=_zh(plan.level_names, final),
        adjustments=fired,
        trace=tuple(trace),
        warnings=warnings,
        missing=missing,
        blank_rule_inputs=_blank_warning(blank) if blank else None,
    )


def _joined(parts: list[Msg] | list[str], template: str) -> Msg | str:
    """``parts`` joined by ``template`` (``{items}`` so far, then ``{item}``), so the separator is said too."""
    out: Msg | str = ""
    for part in parts:
        out = part if out == "" else Msg(template, {"items": out, "item": part})
    return out


def _blank_warning(blank: list[tuple[str, Text]]) -> Warning:
    one = [Msg(N_("{id} {label}"), {"id": i, "label": label}) for i, label in blank]
    items = _joined(one, N_("{items}；{item}"))  # "A.4.1 疾病诊断；A.5.11 昏迷", the separator said in the language too
    said = Msg(N_("等级变更规则的输入未填写，已按“无”处理：{items}。提交前须逐项填写（包括“无”）"), {"items": items})
    return Warning(MISSING_RULE_INPUT, tuple(i for i, _label in blank), said)


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
        trace.append(_final_step(initial, names, Msg(N_("无等级变更规则，最终等级 = 初步等级")), {"initial": initial}))
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
            blank_items = _joined(unanswered, N_("{items}、{item}"))
            text = Msg(
                N_("{rule}未填写，按无处理（{items}）：{text}"),
                {"rule": rule.fired.rule, "items": blank_items, "text": rule.text},
            )
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
        text = Msg(N_("直接评定：{level} {name}（不论初步等级）"), {"level": final, "name": names[final]})
    elif initial is None:
        return None, tuple(fired)
    elif raises:
        step = max(raises) if spec.stacking == "max_one" else sum(raises)
        final = initial if initial >= cap else min(cap, initial + step)
        how = Msg(N_("多项成立时至多提高一级") if spec.stacking == "max_one" and len(raises) > 1 else N_("逐项累加"))
        if len(raises) == 1:
            how = Msg(N_("提高一级")) if step == 1 else Msg(N_("提高{step}级"), {"step": step})
        capped = Msg(N_("，已达上限")) if initial + step > cap else ""
        step_said: dict[str, Any] = {"initial": initial, "how": how, "capped": capped, "final": final}
        text = Msg(N_("初步等级{initial}，{how}{capped} → 最终等级{final} {name}"), step_said | {"name": names[final]})
    else:
        final = initial
        text = Msg(N_("无等级变更，最终等级 = 初步等级 {initial} {name}"), {"initial": initial, "name": names[initial]})
    trace.append(_final_step(final, names, text, inputs))
    return final, tuple(fired)


def _final_step(final: int | None, names: dict[int, Text], text: Msg, inputs: dict[str, Any]) -> TraceStep:
    return TraceStep("final_level", inputs, "—" if final is None else f"{final} {names[final].zh_CN}", text)
