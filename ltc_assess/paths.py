"""The only module that knows where bundled data lives (development tree or PyInstaller bundle)."""

from __future__ import annotations

import sys
from pathlib import Path

FROZEN = bool(getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"))


def bundle_root() -> Path:
    """Folder holding ``forms/`` and ``resources/``: the repo root, or ``_MEIPASS`` when frozen."""
    if FROZEN:
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]
    return Path(__file__).resolve().parent.parent


def forms_dir() -> Path:
    """Installed form definitions."""
    return bundle_root() / "forms"


def resources_dir() -> Path:
    """Fonts, icons, translations."""
    return bundle_root() / "resources"


def font_path() -> Path:
    """The bundled CJK TrueType font used by Qt, reportlab and signature stamps."""
    return resources_dir() / "fonts" / "LXGWWenKai-Regular.ttf"


def policies_dir() -> Path:
    """Installed city policies (``policies/<city>/v<N>.yaml``)."""
    return bundle_root() / "policies"
