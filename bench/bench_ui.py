"""Desktop app speed, each beside a baseline measured in the same run (offscreen Qt).

1. Cold start to an interactive main window (fresh process: imports, font, database, window shown) as a ratio
   to a bare PySide6 QMainWindow started the same way. Target <= 1.3x.
2. Option click -> "已保存" shown (validation, durable save, live score, repaint). Target p99 <= 50 ms.

    .venv/bin/python bench/bench_ui.py [--runs 5] [--clicks 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = """
import time, sys
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([]); w = QMainWindow(); w.show(); app.processEvents()
print(time.perf_counter() - t0)
"""
APP = """
import time, sys
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
from ltc_assess.service import AssessmentService
from ltc_assess.ui.app import load_font
from ltc_assess.ui.main_window import MainWindow
app = QApplication([]); load_font(app)
service = AssessmentService(sys.argv[1])
user = service.store.user_by_name("assessor1")
w = MainWindow(service, user); w.show(); app.processEvents()
print(time.perf_counter() - t0)
"""


def cold(code: str, db: str, runs: int) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    times = [float(subprocess.run([sys.executable, "-c", code, db], capture_output=True, text=True, env=env,
                                  check=True).stdout.strip().splitlines()[-1]) for _ in range(runs)]
    return statistics.median(times)


def click_to_saved(db: str, clicks: int) -> list[float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ltc_assess.demo import PASSWORDS
    from ltc_assess.service import AssessmentService, NewAssessment
    from ltc_assess.ui.wizard.window import WizardWindow

    app = QApplication.instance() or QApplication([])
    service = AssessmentService(db)
    actor = service.login("assessor1", PASSWORDS["assessor1"])
    record, _ = service.start_assessment(actor, NewAssessment(subject_id=1, form="gbt42195-2022"))
    wizard = WizardWindow(service, actor, record.id)
    wizard.show()
    wizard.goto("B.1.1")
    out = []
    for n in range(clicks):
        wizard.saved.setText("")
        start = time.perf_counter()
        wizard.editor.choose_index(n % 5)  # type: ignore[union-attr]
        app.processEvents()
        assert wizard.saved.text()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--clicks", type=int, default=200)
    args = ap.parse_args()
    from ltc_assess.demo import create_demo

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        create_demo(db)
        bare, ours = cold(BARE, db, args.runs), cold(APP, db, args.runs)
        print(f"cold start: bare QMainWindow {bare:.3f} s, ltc-assess main window {ours:.3f} s -> {ours / bare:.2f}x "
              f"(target <= 1.3x: {'met' if ours / bare <= 1.3 else 'NOT met'})")
        lat = click_to_saved(db, args.clicks)
        p99 = statistics.quantiles(lat, n=100)[98] * 1000
        print(f"option click -> saved: p50 {statistics.median(lat) * 1000:.1f} ms, p99 {p99:.1f} ms "
              f"(target p99 <= 50 ms: {'met' if p99 <= 50 else 'NOT met'})")


if __name__ == "__main__":
    main()
