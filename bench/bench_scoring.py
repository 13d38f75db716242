"""Batch scoring throughput through the public API, as a ratio to a plain-Python baseline.

The baseline sums the same answer dicts per dimension with no validation, rules or trace: the floor any
engine must pay. Target (issue 2): >= 20,000 cases/s for gbt42195-2022 on one core. Times are this
process's CPU time (best of 5), so a busy or throttled virtual machine shifts both sides alike.

    .venv/bin/python bench/bench_scoring.py [--form gbt42195-2022] [--cases 20000]
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from ltc_assess.schema.model import FormDef
from ltc_assess.schema.registry import get_form
from ltc_assess.scoring import score


def make_cases(form: FormDef, n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Random complete answer sets over the scored items (deterministic)."""
    rng = random.Random(seed)
    choices = {i: [c.value for c in form.items[i].choices] for i in form.scored_items}  # type: ignore[union-attr]
    return [{i: rng.choice(v) for i, v in choices.items()} for _ in range(n)]


def baseline(form: FormDef, cases: list[dict[str, Any]]) -> float:
    dims = [d.items for d in form.scoring.dimensions]
    start = time.process_time()
    for answers in cases:
        sum(sum(answers[i] for i in items) for items in dims)
    return time.process_time() - start


def engine(form: FormDef, cases: list[dict[str, Any]]) -> float:
    start = time.process_time()
    for answers in cases:
        score(form, answers)
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--form", default="gbt42195-2022")
    ap.add_argument("--cases", type=int, default=20_000)
    args = ap.parse_args()
    form = get_form(args.form)
    cases = make_cases(form, args.cases)
    score(form, cases[0])  # compile the plan outside the timing
    t_base = min(baseline(form, cases) for _ in range(5))
    t_eng = min(engine(form, cases) for _ in range(5))
    rate = len(cases) / t_eng
    print(f"form {form.ref}: {len(cases)} cases")
    print(f"baseline (plain sums): {len(cases) / t_base:,.0f} cases/s")
    print(f"engine (score()):       {rate:,.0f} cases/s  = {t_eng / t_base:.1f}x the baseline's time")
    print(f"target >= 20,000 cases/s: {'met' if rate >= 20_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
