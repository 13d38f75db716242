"""The UI language: our catalog (``ltc_assess.i18n``) plus Qt's own strings (standard buttons, dialogs)."""

from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QSettings, QTranslator
from PySide6.QtWidgets import QApplication

from ltc_assess.i18n import LANGUAGES, SOURCE_LANGUAGE, set_language

_installed: list[QTranslator] = []


def _settings() -> QSettings:
    return QSettings("ltc-assess", "ltc-assess")  # per user: ~/.config/ltc-assess/ltc-assess.conf on Linux


def remembered_language() -> str:
    """The language last chosen in the app on this machine (Chinese until one is chosen)."""
    code = str(_settings().value("language", SOURCE_LANGUAGE))
    return code if code in LANGUAGES else SOURCE_LANGUAGE


def remember_language(code: str) -> None:
    _settings().setValue("language", code)


def use_language(code: str) -> None:
    """Switch our strings and Qt's: without Qt's catalog, 确定/取消 would read OK/Cancel in the Chinese UI."""
    set_language(code)
    app = QApplication.instance()
    if app is None:
        return
    while _installed:
        app.removeTranslator(_installed.pop())
    translator = QTranslator(app)
    # qtbase_*: the qt_* meta catalogs also name modules PySide6-Essentials does not ship, and fail to load.
    if translator.load(f"qtbase_{code}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(translator)
        _installed.append(translator)
