"""One line of feedback under a page: what was saved, or the service's refusal in red; quick use cases run at
once, slow ones (rendering, signing) through ``workers`` with the button waiting meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from ltc_assess.errors import LtcError
from ltc_assess.ui.workers import run_with_service

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService, Changes


def message_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()  # no empty gap before the first message
    return label


def show(label: QLabel, text: str, ok: bool = True) -> None:
    label.setStyleSheet("color: #166534" if ok else "color: #b91c1c")
    label.setText(text)
    label.show()


def run(label: QLabel, action: Callable[[], object], done: str) -> bool:
    """Run one quick use case; show ``done`` or the error's message in ``label``."""
    try:
        action()
    except LtcError as exc:
        show(label, str(exc), ok=False)
        return False
    show(label, done)
    return True


def run_change(label: QLabel, action: Callable[[], Changes], done: str, changed: Callable[[Changes], Any]) -> bool:
    """Run one quick mutation; on success show ``done`` and hand the service's ``Changes`` to ``changed`` (the
    page's signal: the shell decides what reads again, the page itself none)."""
    made: list[Changes] = []
    if not run(label, lambda: made.append(action()), done):
        return False
    changed(made[0])
    return True


def run_slow(
    label: QLabel,
    button: QPushButton,
    service: AssessmentService,
    job: Callable[[AssessmentService], Any],
    on_done: Callable[[Any], str],
) -> None:
    """``job`` off the GUI thread on its own connection; ``on_done(result)`` gives the message to show."""
    button.setEnabled(False)

    def succeeded(result: Any) -> None:
        button.setEnabled(True)
        show(label, on_done(result))

    def failed(exc: BaseException) -> None:
        button.setEnabled(True)
        show(label, str(exc), ok=False)

    run_with_service(service, job, succeeded, failed)
