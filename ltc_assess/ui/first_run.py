"""First run without a database: offer the demo database, built in the background."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from ltc_assess.demo import create_demo
from ltc_assess.i18n import _
from ltc_assess.ui.workers import run_in_background


def offer_demo_database(path: Path) -> bool:
    """Ask, then build the demo database at ``path`` with a progress dialog; False if declined or failed."""
    answer = QMessageBox.question(
        None, _("首次运行"), _("尚无数据库。是否创建演示数据库以试用？\n{path}").format(path=path)
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    progress = QProgressDialog(_("正在创建演示数据库…"), "", 0, 0)
    progress.setCancelButton(None)
    progress.show()
    outcome: dict[str, object] = {}
    loop = QEventLoop()

    def finish(key: str, value: object) -> None:
        outcome[key] = value
        loop.quit()

    run_in_background(lambda: create_demo(str(path)), lambda r: finish("ok", r), lambda e: finish("error", e))
    loop.exec()
    progress.close()
    if "error" in outcome:
        QMessageBox.critical(None, _("错误"), str(outcome["error"]))
        return False
    return True
