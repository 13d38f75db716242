"""Keystrokes for a complete GB/T 42195 assessment in the real wizard, and keystroke -> next item time.

An assessor works keyboard only (QTest key events on the real WizardWindow, offscreen) on a fresh assessment of a
demo person, answering what the standard requires: R jumps to the next open required item, a choice key records
the printed code and moves on, N answers 无 for A.2.14's five risk events and for A.4.1, the signature pads are
drawn with the pen (not counted) and confirmed with S, and Enter on the last item opens the submission, where both
assessors type their signing passwords. Reported:

- the 26 scored items' keystrokes, from entering table B.1 to leaving B.4.5 (target <= 28);
- the whole assessment's keystrokes (and the submission's, passwords included, apart);
- keystroke -> next item shown (validation, durable save, live score, the next card), p50 and p99 (target p99
  <= 50 ms), beside the durable save through the service alone measured in the same run. Before each key the
  bench idles 150 ms, untimed (an assessor reads the card far longer): the wizard builds the next card then.
  The machine's load average is printed: on a shared machine it inflates both numbers alike.

    .venv/bin/python bench/bench_keystrokes.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

READ_S = 0.15  # untimed pause before each key: far less than an assessor takes to read a card


def one_assessment(service: Any, seed: int) -> dict[str, Any]:
    """Walk one GB/T assessment by keyboard to a submitted record; count keys and time item changes."""
    from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    from ltc_assess.demo import PASSWORDS
    from ltc_assess.schema.model import SignatureItem
    from ltc_assess.service import NewAssessment
    from ltc_assess.ui.wizard.checklist import ChecklistDialog
    from ltc_assess.ui.wizard.window import WizardWindow
    from ltc_assess.workflow import Status

    app = QApplication.instance()
    rng = random.Random(seed)
    a1 = service.login("assessor1", PASSWORDS["assessor1"])
    a2 = service.login("assessor2", PASSWORDS["assessor2"])
    record, _ = service.start_assessment(
        a1, NewAssessment(subject_id=1 + seed % 5, form="gbt42195-2022", assessor2_id=a2.id, informant_name="王小明")
    )
    wizard = WizardWindow(service, a1, record.id)
    wizard.show()
    QApplication.processEvents()
    scored = set(wizard.form.scored_items)
    keys: list[tuple[str, str]] = []  # (item the key was pressed on, key)
    times: list[float] = []  # keystroke -> the next item's card painted
    settled: list[float] = []  # keystroke -> everything done (section list and score panel follow the card)
    painted: list[tuple[float, bool]] = []  # (when, on the card) of each widget painted after a key

    class Painted(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
            if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget):
                painted.append((time.perf_counter(), watched is wizard.card or wizard.card.isAncestorOf(watched)))
            return False

    def card_shown(end: float) -> float:
        """When the card was last painted before the side panels were (they follow it), else ``end``."""
        card = [t for t, on_card in painted if on_card]
        side = [t for t, on_card in painted if not on_card and t > card[0]] if card else []
        return max((t for t in card if not side or t < side[0]), default=end)

    watcher = Painted()
    app.installEventFilter(watcher)

    def press(key: str, then: Any = None) -> None:
        reading = time.perf_counter() + READ_S  # the assessor reads the card before the next key
        while time.perf_counter() < reading:
            app.processEvents()
            time.sleep(0.005)
        item = wizard.session.current_item or ""
        keys.append((item, key))
        if then is not None:  # runs in the modal dialog's loop that the key opens
            QTimer.singleShot(0, then)
        painted.clear()
        start = time.perf_counter()
        QTest.keyClick(wizard, key if len(key) == 1 else getattr(Qt.Key, key))
        app.processEvents()
        if wizard.session.current_item != item:
            end = time.perf_counter()
            settled.append(end - start)
            times.append(card_shown(end) - start)

    for _ in range(300):
        item_id = wizard.session.current_item or ""
        item = wizard.form.items[item_id]
        open_required = wizard.session.is_required(item) and not wizard.session.is_answered(item_id)
        if isinstance(item, SignatureItem):
            if item_id[len("SIG.") :] not in service.signed_roles(record.id):
                wizard.editor.pad.draw_line(QPoint(10, 30), QPoint(220, 70))  # type: ignore[union-attr]  # the pen
                press("S")
            if wizard.session.is_last():
                break
            press("Key_Right")
        elif open_required and wizard.session.none_answers(item_id):
            press("N")  # 无 for the group (A.2.14) or the list (A.4.1)
        elif open_required:
            keys_shown = [k for k in wizard.editor.keys if k is not None]  # type: ignore[union-attr]
            press(keys_shown[0] if item_id.startswith("A.") else rng.choice(keys_shown))
            if wizard.session.current_item == item_id:  # a warning holds the item: read it, then on
                press("Key_Return")
        else:
            press("R")  # next open required item
    assert not service.checklist(record.id), service.checklist(record.id)

    submit_keys: list[str] = []

    def fill_dialog() -> None:  # runs inside the modal submission dialog's loop
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ChecklistDialog), dialog
        for role, account in (("assessor1", "assessor1"), ("assessor2", "assessor2")):
            field = dialog.passwords[role]
            field.setFocus()
            QTest.keyClicks(field, PASSWORDS[account])
            submit_keys.extend(PASSWORDS[account])
            if role == "assessor1":
                submit_keys.append("Tab")
        QTest.keyClick(dialog.passwords["assessor2"], Qt.Key.Key_Return)  # Enter submits
        submit_keys.append("Return")

    press("Key_Return", then=fill_dialog)  # Enter on the last item opens the submission
    app.processEvents()
    status = service.assessment(record.id).status
    assert status == Status.SUBMITTED, status
    entered = next(
        n for n, (item, _k) in enumerate(keys) if item not in scored and n + 1 < len(keys) and keys[n + 1][0] in scored
    )
    scored_keys = 1 + sum(1 for item, _k in keys if item in scored)  # entering B.1 + each key on a B item
    return {
        "scored": scored_keys,
        "total": len(keys),
        "submit": len(submit_keys),
        "times": times,
        "settled": settled,
        "entered_by": keys[entered][1],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ltc_assess.demo import PASSWORDS, create_demo
    from ltc_assess.service import AssessmentService, NewAssessment
    from ltc_assess.ui.singletons import pin_singletons

    pin_singletons()  # as the app does: PySide6 6.12 leaks a reference to True/None per emit and void call
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        create_demo(db)
        service = AssessmentService(db)
        runs = [one_assessment(service, seed) for seed in range(args.runs)]
        times = [t for r in runs for t in r["times"]]
        settled = [t for r in runs for t in r["settled"]]
        actor = service.login("assessor1", PASSWORDS["assessor1"])
        record, _ = service.start_assessment(actor, NewAssessment(subject_id=1, form="gbt42195-2022"))
        bare = []
        for n in range(len(times)):
            start = time.perf_counter()
            service.save_answer(actor, record.id, "B.1.1", n % 5, current_item="B.1.1")
            bare.append(time.perf_counter() - start)
        service.close()
    del app
    scored = max(r["scored"] for r in runs)
    p99 = statistics.quantiles(times, n=100)[98] * 1000
    bare_p99 = statistics.quantiles(bare, n=100)[98] * 1000
    print(
        f"GB/T 42195, keyboard only, {args.runs} assessments: the 26 scored items took {scored} keystrokes "
        f"(entering B.1 with {runs[0]['entered_by']!r}; target <= 28: {'met' if scored <= 28 else 'NOT met'})"
    )
    print(
        f"whole assessment: {max(r['total'] for r in runs)} keystrokes to ready-to-submit incl. Enter to submit "
        f"(signature pads drawn with the pen), then {runs[0]['submit']} in the submission dialog "
        "(two signing passwords, Tab, Enter)"
    )
    print(
        f"keystroke -> next item shown: p50 {statistics.median(times) * 1000:.1f} ms, p99 {p99:.1f} ms over "
        f"{len(times)} item changes (target p99 <= 50 ms: {'met' if p99 <= 50 else 'NOT met'}); the durable save "
        f"alone (the baseline): p50 {statistics.median(bare) * 1000:.1f} ms, p99 {bare_p99:.1f} ms; "
        f"keystroke p99 / save p99 = {p99 / bare_p99:.1f}"
        f"; all settled (section list, score panel): p99 {statistics.quantiles(settled, n=100)[98] * 1000:.1f} ms"
        f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
