"""Shared fixtures. Qt runs offscreen; tests that use qtbot/qapp are marked ``gui`` automatically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import World, make_world

from ltc_assess.ui.singletons import pin_singletons

# As the app does at start-up: without it a run of many Qt tests ended, after every test passed, in "Fatal Python
# error: bool_dealloc" (PySide6 6.12 drops a reference to True per signal emit on Python 3.11; see the module).
pin_singletons()

# Why here: the QApplication is created by pytest-qt before any test module runs.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Settings the app remembers (the UI language) go to a folder of the test run, not the user's own.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="ltc-assess-tests-config-")
# The CLI speaks the source language in tests whatever the developer's locale (tests/test_cli_language.py sets
# LTC_LANG and the locale explicitly to show the choice).
os.environ["LTC_LANG"] = "zh_CN"

REPO = Path(__file__).resolve().parent.parent


SERVER_TESTS = REPO / "tests" / "server"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a QApplication as ``gui`` (qutebrowser's hook), and every office-server test
    (a PostgreSQL database made per test, a uvicorn process) as ``slow``: the fast tier is ``-m "not slow and not
    gui"`` (CONTRIBUTING.md)."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "qtbot" in fixtures or "qapp" in fixtures:
            item.add_marker(pytest.mark.gui)
        if item.path.is_relative_to(SERVER_TESTS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _no_windows_outlive_their_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Windows a test opened without qtbot (wizards a main window opened, dialogs) are deleted by Qt after it,
    as the app does at exit: left to Python's teardown they were destroyed in arbitrary order, sometimes twice."""
    yield
    if "qtbot" in request.fixturenames or "qapp" in request.fixturenames:
        from ltc_assess.ui.app import close_all_windows

        close_all_windows()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A real database with users of every role and one registered person."""
    yield from make_world(tmp_path)


@pytest.fixture
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture
def english() -> Iterator[None]:
    """The core speaks English in this test (its errors are said in the language of the moment): for tests that
    match an error's English wording. Chinese, the source language, again after it."""
    from ltc_assess.i18n import language, set_language

    before = language()
    set_language("en")
    try:
        yield
    finally:
        set_language(before)
