"""The only module that knows where bundled data lives: development tree, installed wheel or PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path

FROZEN = bool(getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"))
# Where the wheel build puts forms/, resources/ and schemas/ inside the package (setup.py): the repository
# keeps them at its root, where people edit them.
PACKAGE_DATA = Path(__file__).resolve().parent / "_data"


def bundle_root() -> Path:
    """Folder holding ``forms/``, ``resources/`` and ``schemas/``.

    ``_MEIPASS`` when frozen, the package's ``_data`` folder in an installed wheel, else the repository root.
    """
    if FROZEN:
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]  # set by PyInstaller's bootloader, unknown to typeshed
    if PACKAGE_DATA.is_dir():
        return PACKAGE_DATA
    return Path(__file__).resolve().parent.parent


def forms_dir() -> Path:
    """Installed form definitions."""
    return bundle_root() / "forms"


def resources_dir() -> Path:
    """Fonts, icons, translations."""
    return bundle_root() / "resources"


def font_path() -> Path:
    """The Song (serif, 宋体) TrueType font: report body text and signature stamps."""
    return resources_dir() / "fonts" / "NotoSerifSC-Regular.ttf"


def sans_font_path() -> Path:
    """The Hei (sans, 黑体) TrueType font: report headings and the desktop app."""
    return resources_dir() / "fonts" / "NotoSansSC-Regular.ttf"


def icon_path() -> Path:
    """The application icon (window icon; the .ico beside it is the Windows executable's)."""
    return resources_dir() / "icons" / "ltc-assess.png"


def policies_dir() -> Path:
    """Installed city policies (``policies/<city>/v<N>.yaml``)."""
    return bundle_root() / "policies"
