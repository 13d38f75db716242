"""PySide6 6.12 on Python 3.11 drops a reference to True per signal emit and to None per void call.

A run of many wizard walkthroughs ended, after every test passed, in "Fatal Python error: bool_dealloc"; the app
would abort the same way mid-visit after a long day. These run the leaking calls in a fresh interpreter set up
as the app sets itself up, many more times than True and None have references there, and through exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

CALLS = 20_000

LEAKING_CALLS = textwrap.dedent(
    f"""
    import sys
    from ltc_assess.ui.singletons import pin_singletons
    pin_singletons()  # as ltc_assess.ui.app.start() does first

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication, QWidget

    class Relay(QObject):
        changed = Signal(str)

    app = QApplication([])
    relay, widget, heard = Relay(), QWidget(), []
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range({CALLS}):
        relay.changed.connect(heard.append)  # returns a borrowed True
        relay.changed.emit("x")  # returns a borrowed True
        relay.changed.disconnect(heard.append)  # returns a borrowed True
        widget.setWindowTitle("x")  # void: returns a borrowed None
    after = sys.getrefcount(True), sys.getrefcount(None)
    print(len(heard), *before, *after)
    """
)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None/True/False are immortal from Python 3.12 (PEP 683)")
def test_signal_emits_and_void_calls_do_not_exhaust_none_or_true() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run(
        [sys.executable, "-c", LEAKING_CALLS], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert "Fatal Python error" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stderr
    heard, true_before, none_before, true_after, none_after = map(int, run.stdout.split())
    assert heard == CALLS  # the signals really were emitted to a Python slot
    # Each leaked call costs one reference; what is left must stay far from zero (the headroom, not luck).
    assert min(true_after, none_after) > CALLS * 1000
    assert true_before - true_after <= 4 * CALLS and none_before - none_after <= 2 * CALLS
