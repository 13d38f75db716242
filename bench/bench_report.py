"""Report rendering + signing time, as a ratio to rendering comparable content with WeasyPrint in the same run.

Targets (issue 5): >= 3x faster than WeasyPrint, median <= 0.25 s per report (render), plus a 200-report batch.
WeasyPrint is only a baseline here (``pip install weasyprint``); without it the baseline is skipped.

    .venv/bin/python bench/bench_report.py [--batch 200] [--samples 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import statistics
import time
from typing import Any

from ltc_assess import paths
from ltc_assess.report.data import build_report_data
from ltc_assess.report.model import ReportData
from ltc_assess.report.pdf import STAMP_BOXES, render
from ltc_assess.schema.registry import get_form
from ltc_assess.scoring import score
from ltc_assess.signing.keys import create_root, issue_user
from ltc_assess.signing.pades import page_count, sign_pdf


def sample_data() -> ReportData:
    form = get_form("gbt42195-2022")
    answers: dict[str, Any] = {i: max(c.value for c in form.items[i].choices) for i in form.scored_items}  # type: ignore[union-attr]
    answers |= {"A.4.1": ["F00-F03"], "A.2.14.1": 2}
    result = score(form, answers).to_dict()
    record = {"id": 1, "answers": answers, "reason": "first", "assessment_date": "2026-11-01", "status": "approved",
              "assessor1_id": 1, "assessor2_id": 2, "proposed_level": 1, "informant_name": "王小明"}
    subject = {"name": "王秀英", "sex": "female", "birth_date": "1940-03-15", "id_number": "110105194003151236"}
    return build_report_data(form, result, record, subject, people={1: "张评估", 2: "李评估"})


def as_html(data: ReportData) -> str:
    """The same facts as HTML for the WeasyPrint baseline (tables, the trace, the answers)."""
    font = paths.font_path().as_uri()
    rows = "".join(
        f"<tr><td>{html.escape(a.code)}</td><td>{html.escape(a.label)}</td><td>{html.escape(a.answer)}</td></tr>"
        for a in data.answers
    )
    dims = "".join(f"<tr><td>{d.label}</td><td>{d.score}</td><td>{d.max}</td></tr>" for d in data.dimensions)
    trace = "".join(f"<li>{html.escape(t)}</li>" for t in data.explanation)
    return (f"<html><head><style>@font-face{{font-family:zh;src:url('{font}')}} body{{font-family:zh;font-size:10pt}}"
            "table{border-collapse:collapse}td{border:1px solid #999}</style></head><body>"
            f"<h1>{data.title}</h1><table>{dims}</table><ul>{trace}</ul><table>{rows}</table></body></html>")


def timed(fn: Any, samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--batch", type=int, default=200)
    args = ap.parse_args()
    data = sample_data()
    render(data)  # fonts registered outside the timing
    ours = timed(lambda: render(data), args.samples)
    now = dt.datetime.now(dt.UTC)
    root = create_root("基准机构", "root-passphrase", now)
    pair = issue_user(root, "root-passphrase", username="a1", display_name="张评估", role="assessor",
                      password="a1-password", now=now)
    pdf = render(data)
    signing = timed(lambda: sign_pdf(pdf, pair, "a1-password", [root.cert_pem], field="assessor1",
                                     box=STAMP_BOXES["assessor1"], page=page_count(pdf) - 1, reason="基准"),
                    max(3, args.samples // 2))
    print(f"render (reportlab):   median {statistics.median(ours):.3f} s  "
          f"(target <= 0.25 s: {'met' if statistics.median(ours) <= 0.25 else 'NOT met'})")
    both = statistics.median(ours) + statistics.median(signing)
    print(f"one PAdES signature:  median {statistics.median(signing):.3f} s; render + sign {both:.3f} s "
          f"(target <= 0.25 s: {'met' if both <= 0.25 else 'NOT met'})")
    try:
        import weasyprint  # noqa: PLC0415 - optional baseline
    except ImportError:
        print("WeasyPrint not installed: baseline skipped (pip install weasyprint)")
    else:
        page = as_html(data)
        weasyprint.HTML(string=page).write_pdf()
        theirs = timed(lambda: weasyprint.HTML(string=page).write_pdf(), args.samples)
        ratio = statistics.median(theirs) / statistics.median(ours)
        print(f"WeasyPrint baseline:  median {statistics.median(theirs):.3f} s  -> ours is {ratio:.1f}x faster "
              f"(target >= 3x: {'met' if ratio >= 3 else 'NOT met'})")
    start = time.perf_counter()
    for _ in range(args.batch):
        render(data)
    total = time.perf_counter() - start
    print(f"batch of {args.batch} reports: {total:.1f} s ({args.batch / total:.1f} reports/s)")


if __name__ == "__main__":
    main()
