"""The admin sets the office server the app syncs with from the 同步 menu; only assessors and supervisors get the
同步 action (Ctrl+Shift+S), and nobody else can set the server through the core."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot
from world import World

from ltc_assess.sync_client import server_url
from ltc_assess.ui.main_window import MainWindow


def _menu_action(window: MainWindow, text: str) -> QAction | None:
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        for action in menu.actions() if menu is not None else []:  # type: ignore[union-attr]
            if action.text() == text:
                return action
    return None


def test_admin_sets_the_sync_server_from_the_menu(qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    window = MainWindow(world.service, world.admin)
    qtbot.addWidget(window)
    assert _menu_action(window, "同步") is None  # the admin does not sync
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("https://office.example:8443/", True))
    set_url = _menu_action(window, "同步服务器地址…")
    assert set_url is not None
    set_url.trigger()
    assert server_url(world.service) == "https://office.example:8443"
    assert window.statusBar().currentMessage() == "同步服务器已设置：https://office.example:8443"
    warned: list[str] = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("http://office.example", True))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    set_url.trigger()
    assert warned == ["服务器地址 'http://office.example'：必须以 https:// 开头"]
    assert server_url(world.service) == "https://office.example:8443"  # unchanged


def test_assessors_get_the_sync_action_and_not_the_setting(qtbot: QtBot, world: World) -> None:
    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    action = _menu_action(window, "同步")
    assert action is window.sync.action and action.shortcut().toString() == "Ctrl+Shift+S"
    assert action in window.actions()  # the shortcut works with the menu closed
    assert _menu_action(window, "同步服务器地址…") is None
    assert window.sync.timer.isActive()


def test_a_refusal_box_in_the_english_ui_says_the_core_error_in_english(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Test that in the English UI the warning box of a refusal from the core (a server address without https)
    reads in English — the real QMessageBox on screen, read while it is open."""
    from ltc_assess.i18n import _
    from ltc_assess.ui.language import use_language

    use_language("en")
    try:
        window = MainWindow(world.service, world.admin)
        qtbot.addWidget(window)
        set_url = _menu_action(window, _("同步服务器地址…"))
        assert set_url is not None and set_url.text() == "Sync server address…"
        monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("http://office.example", True))
        seen: list[str] = []

        def read_the_box() -> None:
            box = QApplication.activeModalWidget()
            if not isinstance(box, QMessageBox):
                QTimer.singleShot(20, read_the_box)
                return
            seen.append(box.text())
            box.grab().save(str(tmp_path / "refusal.png"))
            box.done(0)

        QTimer.singleShot(0, read_the_box)
        set_url.trigger()
        assert seen == ["server URL 'http://office.example': must start with https://"]
        assert server_url(world.service) is None
    finally:
        use_language("zh_CN")
