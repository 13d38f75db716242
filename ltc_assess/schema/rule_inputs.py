"""Which answers the level rules read: derived from the form's own rule definitions, never listed by hand.

A level-change rule (GB/T 42195 R1–R3, MZ/T 039 C1–C2) reads items the standard lets be blank ("missing means
无"). Blank and 无 score the same, but a blank may be a forgotten fall or diagnosis: those items must carry an
explicit answer before an assessment is submitted, and a score computed without them says so.
"""

from __future__ import annotations

from ltc_assess.schema.expressions import Expression
from ltc_assess.schema.model import BandsRule, ComputedItem, FormDef, MatrixRule, RulesTable


def _rule_expressions(form: FormDef) -> list[Expression]:
    scoring = form.scoring
    graders = [d.grade for d in scoring.dimensions if d.grade is not None] + [scoring.initial_level]
    out: list[Expression] = []
    for rule in graders:
        if isinstance(rule, BandsRule) and rule.input is not None:
            out.append(rule.input)
        elif isinstance(rule, RulesTable):
            out += [row.when for row in rule.rules]
        elif isinstance(rule, MatrixRule):
            out += [rule.rows, rule.columns]
    if scoring.adjustments is not None:
        out += [r.when for r in scoring.adjustments.rules]
    return out


def rule_inputs(form: FormDef) -> tuple[str, ...]:
    """Answerable items a grading, level or level-change rule reads, in form order.

    Computed items are followed to the answers they are computed from; scored items are left out (they are
    required by their own ``required``/``required_if`` and the engine refuses a case without them).
    """
    items = form.items
    seen: set[str] = set()
    pending = [ref for expr in _rule_expressions(form) for ref in expr.refs]
    while pending:
        ref = pending.pop()
        if ref in seen or ref not in items:
            continue  # dimension scores, grades and totals are not answers
        seen.add(ref)
        item = items[ref]
        if isinstance(item, ComputedItem):
            pending += item.expression.refs
    scored = set(form.scored_items)
    return tuple(i for i in items if i in seen and i not in scored and not isinstance(items[i], ComputedItem))
