"""The admin sets the office server the app syncs with from the 同步 menu; only assessors and supervisors get the
同步 action (Ctrl+Shift+S), and nobody else can set the server through the core."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMessageBox
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
    assert warned == ["server URL 'http://office.example': must start with https://"]
    assert server_url(world.service) == "https://office.example:8443"  # unchanged


def test_assessors_get_the_sync_action_and_not_the_setting(qtbot: QtBot, world: World) -> None:
    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    action = _menu_action(window, "同步")
    assert action is window.sync.action and action.shortcut().toString() == "Ctrl+Shift+S"
    assert action in window.actions()  # the shortcut works with the menu closed
    assert _menu_action(window, "同步服务器地址…") is None
    assert window.sync.timer.isActive()
