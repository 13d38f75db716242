"""Load and validate a form file: YAML 1.2 -> pydantic model -> cross-reference and coverage checks.

Every problem is reported as ``file:line path: message [code]`` so that whoever edits a form (often not a
programmer) can go straight to the line. All problems in a file are collected; the first is the message.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ltc_assess.errors import ErrorCode
from ltc_assess.i18n import _
from ltc_assess.schema.expressions import Expression
from ltc_assess.schema.located import FormErrors, Path_, Problems, located_problems, read_file, read_yaml
from ltc_assess.schema.model import (
    BandsRule,
    Dimension,
    FormDef,
    MappedPrefill,
    MatrixRule,
    RulesTable,
    SingleChoiceItem,
)

# Enumeration bound for coverage proofs of rule tables and matrices (product of input domains).
_MAX_COMBINATIONS = 200_000


def load_form(path: str | Path) -> FormDef:
    """Load, validate and fingerprint one form file.

    Raises:
        FormErrors: with every problem found, each located by file, line and path.
    """
    data, display = read_file(Path(path), ErrorCode.FORM_NOT_FOUND, _("表单文件"))
    return load_form_bytes(data, display)


def load_form_bytes(data: bytes, display: str = "<form>") -> FormDef:
    """Like :func:`load_form` for bytes already read (``display`` names them in messages)."""
    raw = read_yaml(data, display, ErrorCode.FORM_YAML)
    problems = Problems(display, raw)
    if not isinstance(raw, dict):
        problems.add(ErrorCode.FORM_SCHEMA, (), _("表单文件必须是包含 form、version 等键的映射"))
        raise FormErrors(problems.items)
    try:
        form = FormDef.model_validate(raw)
    except ValidationError as exc:
        raise FormErrors(located_problems(exc, display, raw, ErrorCode.FORM_SCHEMA)) from None
    _check(form, problems)
    if problems.items:
        raise FormErrors(problems.items)
    form.read_from(data, display)
    return form


# --- cross checks ----------------------------------------------------------------------------------


def _check(form: FormDef, p: Problems) -> None:
    item_paths: dict[str, Path_] = {}
    for si, section in enumerate(form.sections):
        for ii, item in enumerate(section.items):
            path: Path_ = ("sections", si, "items", ii)
            if item.id in item_paths:
                p.add(ErrorCode.FORM_DUPLICATE, (*path, "id"), _("条目编号 {id!r} 重复").format(id=item.id))
            item_paths[item.id] = path
            choices = getattr(item, "choices", ())
            values = [c.value for c in choices]
            if len(values) != len(set(values)):
                p.add(ErrorCode.FORM_DUPLICATE, (*path, "choices"), _("条目 {id!r} 的选项值重复").format(id=item.id))
            default = getattr(item, "default", None)
            defaults = default if isinstance(default, tuple) else () if default is None else (default,)
            for d in defaults:
                if d not in values:
                    p.add(
                        ErrorCode.FORM_REF,
                        (*path, "default"),
                        _("默认值 {d!r} 不是 {id!r} 的选项").format(d=d, id=item.id),
                    )
    _unique(p, [s.id for s in form.sections], "sections", _("章节"))

    names = set(item_paths)
    for dim in form.scoring.dimensions:
        names.add(dim.id)
        if dim.grade is not None:
            names.add(f"{dim.id}.grade")
    if form.scoring.total:
        names.add("total")
    _unique(p, [d.id for d in form.scoring.dimensions], ("scoring", "dimensions"), _("维度"))
    clash = names & {d.id for d in form.scoring.dimensions} & set(item_paths)
    for name in sorted(clash):
        p.add(
            ErrorCode.FORM_DUPLICATE,
            ("scoring", "dimensions"),
            _("维度编号 {name!r} 与某个条目编号重复").format(name=name),
        )

    for path, expr in _expressions(form):
        for ref in expr.refs:
            if ref not in names:
                p.add(
                    ErrorCode.FORM_REF,
                    path,
                    _("表达式 {source!r} 中的名称 {ref!r} 不存在").format(ref=ref, source=expr.source),
                )
    _check_scoring(form, item_paths, p)
    for ci, rule in enumerate(form.consistency):
        for ref in rule.items:
            if ref not in item_paths:
                p.add(
                    ErrorCode.FORM_REF,
                    ("consistency", ci, "items"),
                    _("{id!r} 中的条目 {ref!r} 不存在").format(ref=ref, id=rule.id),
                )
    _unique(p, [c.id for c in form.consistency], "consistency", _("一致性规则"))
    for item_id, fill in form.prefill.items():
        if item_id not in item_paths:
            p.add(
                ErrorCode.FORM_REF, ("prefill", item_id), _("预填中的条目 {item_id!r} 不存在").format(item_id=item_id)
            )
        elif isinstance(fill, MappedPrefill):
            allowed = {c.value for c in getattr(form.items[item_id], "choices", ())}
            for source_value, value in fill.values.items():
                if value not in allowed:
                    p.add(
                        ErrorCode.FORM_REF,
                        ("prefill", item_id, "values", source_value),
                        _("{value!r} 不是 {item_id!r} 的选项").format(value=value, item_id=item_id),
                    )


def _unique(p: Problems, ids: list[str], where: str | Path_, what: str) -> None:
    seen: set[str] = set()
    for idx, ident in enumerate(ids):
        if ident in seen:
            base = (where,) if isinstance(where, str) else where
            p.add(
                ErrorCode.FORM_DUPLICATE,
                (*base, idx, "id"),
                _("{what}编号 {ident!r} 重复").format(what=what, ident=ident),
            )
        seen.add(ident)


def _expressions(form: FormDef) -> Iterator[tuple[Path_, Expression]]:
    for si, section in enumerate(form.sections):
        for ii, item in enumerate(section.items):
            base: Path_ = ("sections", si, "items", ii)
            for attr in ("required_if", "visible_if", "expression"):
                expr = getattr(item, attr, None)
                if expr is not None:
                    yield (*base, attr), expr
            if item.constraint is not None:
                yield (*base, "constraint", "when"), item.constraint.when
    for ci, rule in enumerate(form.consistency):
        yield ("consistency", ci, "when"), rule.when
    sc = form.scoring
    for di, dim in enumerate(sc.dimensions):
        if dim.grade is not None:
            yield from _rule_expressions(dim.grade, ("scoring", "dimensions", di, "grade"))
    yield from _rule_expressions(sc.initial_level, ("scoring", "initial_level"))
    if sc.adjustments is not None:
        for ai, adj in enumerate(sc.adjustments.rules):
            yield ("scoring", "adjustments", "rules", ai, "when"), adj.when


def _rule_expressions(rule: BandsRule | RulesTable | MatrixRule, base: Path_) -> Iterator[tuple[Path_, Expression]]:
    if isinstance(rule, BandsRule) and rule.input is not None:
        yield (*base, "input"), rule.input
    elif isinstance(rule, RulesTable):
        for ri, row in enumerate(rule.rules):
            yield (*base, "rules", ri, "when"), row.when
    elif isinstance(rule, MatrixRule):
        yield (*base, "rows"), rule.rows
        yield (*base, "columns"), rule.columns


def _check_scoring(form: FormDef, item_paths: dict[str, Path_], p: Problems) -> None:
    sc = form.scoring
    level_codes = [lv.code for lv in sc.levels]
    if level_codes != list(range(len(level_codes))):
        p.add(ErrorCode.FORM_SCHEMA, ("scoring", "levels"), _("等级代码必须按 0、1、2…… 顺序排列"))
    grade_codes = [g.code for g in sc.grades or ()]
    if grade_codes != list(range(len(grade_codes))):
        p.add(ErrorCode.FORM_SCHEMA, ("scoring", "grades"), _("分级代码必须按 0、1、2…… 顺序排列"))

    owner: dict[str, str] = {}
    domains: dict[str, set[Any]] = {}
    for di, dim in enumerate(sc.dimensions):
        base: Path_ = ("scoring", "dimensions", di)
        ok = True
        for ref in dim.items:
            item = form.items.get(ref)
            if item is None:
                p.add(
                    ErrorCode.FORM_REF,
                    (*base, "items"),
                    _("评分 {id!r} 中的条目 {ref!r} 不存在").format(ref=ref, id=dim.id),
                )
                ok = False
            elif not isinstance(item, SingleChoiceItem) or not all(isinstance(c.value, int) for c in item.choices):
                msg = _("计分条目 {ref!r} 必须是取整数值的单选题").format(ref=ref)
                p.add(ErrorCode.FORM_SCHEMA, (*base, "items"), msg)
                ok = False
            elif ref in owner:
                p.add(
                    ErrorCode.FORM_DUPLICATE,
                    (*base, "items"),
                    _("条目 {ref!r} 已在 {owner!r} 中计分").format(ref=ref, owner=owner[ref]),
                )
            else:
                owner[ref] = dim.id
        if not ok:
            continue
        for ref in dim.items:
            domains[ref] = set(form.choice_scores(ref))
        if dim.summed:
            domains[dim.id] = _sumset(domains[ref] for ref in dim.items)
        elif dim.grade is not None and isinstance(dim.grade, BandsRule) and dim.grade.input is None:
            msg = _("维度 {id!r} 不求和，其分级区间需要 input").format(id=dim.id)
            p.add(ErrorCode.FORM_SCHEMA, (*base, "grade"), msg)
    for ref in item_paths:
        item = form.items[ref]
        if ref not in domains and isinstance(item, SingleChoiceItem):
            domains[ref] = {c.value for c in item.choices}
    if sc.total:
        summed = [domains[d.id] for d in sc.dimensions if d.summed and d.id in domains]
        domains["total"] = _sumset(summed)

    for di, dim in enumerate(sc.dimensions):
        if dim.grade is None:
            continue
        if not grade_codes:
            msg = _("维度 {id!r} 需要分级，但未定义 grades").format(id=dim.id)
            p.add(ErrorCode.FORM_SCHEMA, ("scoring", "grades"), msg)
        target = ("scoring", "dimensions", di, "grade")
        _check_rule(dim.grade, set(grade_codes), domains, target, p, default_input=dim.id if dim.summed else None)
        domains[f"{dim.id}.grade"] = set(grade_codes)
    _check_rule(sc.initial_level, set(level_codes), domains, ("scoring", "initial_level"), p)
    _check_adjustments(form, set(level_codes), p)
    _check_dimension_directions(sc.dimensions, p)


def _check_dimension_directions(dims: tuple[Dimension, ...], p: Problems) -> None:
    for di, dim in enumerate(dims):
        if not dim.summed and dim.grade is None:
            msg = _("维度 {id!r} 既不求和也不分级").format(id=dim.id)
            p.add(ErrorCode.FORM_SCHEMA, ("scoring", "dimensions", di), msg)


def _check_adjustments(form: FormDef, codes: set[int], p: Problems) -> None:
    adj = form.scoring.adjustments
    if adj is None:
        return
    if adj.cap is not None and adj.cap not in codes:
        p.add(ErrorCode.FORM_REF, ("scoring", "adjustments", "cap"), _("上限 {cap} 不是等级代码").format(cap=adj.cap))
    for ai, rule in enumerate(adj.rules):
        path: Path_ = ("scoring", "adjustments", "rules", ai, "effect")
        eff = rule.effect
        if (eff.set is None) == (eff.raise_ is None):
            p.add(ErrorCode.FORM_SCHEMA, path, _("调整规则 {id!r} 必须且只能有 set 或 raise 之一").format(id=rule.id))
        elif eff.set is not None and eff.set not in codes:
            p.add(
                ErrorCode.FORM_REF, path, _("调整规则 {id!r} 设定了不存在的等级 {set}").format(id=rule.id, set=eff.set)
            )
    _unique(p, [r.id for r in adj.rules], ("scoring", "adjustments", "rules"), _("调整规则"))


def _sumset(parts: Iterable[set[Any]]) -> set[Any]:
    """Every value a sum of one choice from each part can take (exact reachable totals)."""
    acc: set[Any] = {0}
    for part in parts:
        acc = {a + b for a in acc for b in part}
    return acc


def _combinations(refs: tuple[str, ...], domains: dict[str, set[Any]]) -> Iterator[dict[str, Any]] | None:
    if any(r not in domains for r in refs):
        return None
    total = 1
    for r in refs:
        total *= max(1, len(domains[r]))
    if total > _MAX_COMBINATIONS:
        return None
    return (dict(zip(refs, combo, strict=True)) for combo in itertools.product(*(sorted(domains[r]) for r in refs)))


def _check_rule(
    rule: BandsRule | RulesTable | MatrixRule,
    codes: set[int],
    domains: dict[str, set[Any]],
    path: Path_,
    p: Problems,
    default_input: str | None = None,
) -> None:
    """Check codes exist, and prove coverage over every reachable input where it can be enumerated."""
    if isinstance(rule, BandsRule):
        for bi, band in enumerate(rule.bands):
            if band.code not in codes:
                p.add(ErrorCode.FORM_REF, (*path, "bands", bi, "code"), _("代码 {code} 不存在").format(code=band.code))
            if band.min > band.max:
                p.add(
                    ErrorCode.FORM_SCHEMA,
                    (*path, "bands", bi),
                    _("分级区间下限 {min} 大于上限 {max}").format(min=band.min, max=band.max),
                )
        if rule.input is not None:
            combos = _combinations(rule.input.refs, domains)
            values = None if combos is None else {rule.input(env) for env in combos}
        else:
            values = domains.get(default_input or "")
        for value in sorted(values or (), key=float):
            hits = [b for b in rule.bands if b.min <= value <= b.max]
            if len(hits) != 1:
                what = _("任何分级区间") if not hits else _("{count} 个分级区间").format(count=len(hits))
                p.add(
                    ErrorCode.FORM_COVERAGE,
                    (*path, "bands"),
                    _("可能出现的值 {value} 落入{what}").format(value=value, what=what),
                )
    elif isinstance(rule, RulesTable):
        for ri, row in enumerate(rule.rules):
            if row.code not in codes:
                p.add(ErrorCode.FORM_REF, (*path, "rules", ri, "code"), _("代码 {code} 不存在").format(code=row.code))
        if rule.otherwise is not None:
            if rule.otherwise not in codes:
                p.add(ErrorCode.FORM_REF, (*path, "otherwise"), _("代码 {code} 不存在").format(code=rule.otherwise))
            return
        refs = tuple(dict.fromkeys(r for row in rule.rules for r in row.when.refs))
        for env in _combinations(refs, domains) or ():
            if not any(row.when(env) for row in rule.rules):
                shown = ", ".join(f"{k}={v}" for k, v in env.items())
                p.add(ErrorCode.FORM_COVERAGE, (*path, "rules"), _("没有规则匹配 {shown}").format(shown=shown))
                break
    else:
        for ri, cells in enumerate(rule.cells):
            for code in cells:
                if code not in codes:
                    p.add(ErrorCode.FORM_REF, (*path, "cells", ri), _("代码 {code} 不存在").format(code=code))
        refs = tuple(dict.fromkeys(rule.rows.refs + rule.columns.refs))
        for env in _combinations(refs, domains) or ():
            r, c = rule.rows(env), rule.columns(env)
            in_range = isinstance(r, int) and 0 <= r < len(rule.cells)
            if not (in_range and isinstance(c, int) and 0 <= c < len(rule.cells[r])):
                shown = ", ".join(f"{k}={v}" for k, v in env.items())
                p.add(
                    ErrorCode.FORM_COVERAGE,
                    (*path, "cells"),
                    _("没有对应 {shown} 的单元格 [{r}][{c}]").format(r=r, c=c, shown=shown),
                )
                break
