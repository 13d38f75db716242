"""Run long work off the GUI thread: ``run_in_background(fn, on_success, on_failure)``.

``fn`` runs in Qt's thread pool and must not touch widgets (nor the GUI thread's database connection:
``run_with_service`` hands the job a service on the worker's own); the callbacks run on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # handed to the GUI thread, which shows it
            self.relay.failed.emit(exc)
        else:
            self.relay.succeeded.emit(result)


def run_in_background(
    fn: Callable[[], Any], on_success: Callable[[Any], None], on_failure: Callable[[BaseException], None]
) -> None:
    """Start ``fn`` in the thread pool; exactly one callback follows on the GUI thread."""
    # Owned by the application and deleted by Qt once the callback has run, rather than dropped by Python
    # while its own signal is still being delivered.
    relay = _Relay(QCoreApplication.instance())

    def done(callback: Callable[[Any], None], value: Any) -> None:
        relay.deleteLater()
        callback(value)

    relay.succeeded.connect(lambda value: done(on_success, value))
    relay.failed.connect(lambda exc: done(on_failure, exc))
    QThreadPool.globalInstance().start(_Job(fn, relay))


def run_with_service(
    service: AssessmentService,
    job: Callable[[AssessmentService], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None],
) -> None:
    """``job`` in the background on ``service`` reopened with the worker's own connection, closed after."""

    def work() -> Any:
        own = service.reopened()
        try:
            return job(own)
        finally:
            own.close()

    run_in_background(work, on_success, on_failure)
