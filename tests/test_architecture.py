"""Architecture guards: every module imports, and the core works with PySide6 absent."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import ltc_assess

REPO = Path(__file__).resolve().parent.parent
CORE_CHECK = r"""
import importlib, pkgutil, sys
class NoQt:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6."):
            raise ImportError("PySide6 blocked: the core must not need Qt")
sys.meta_path.insert(0, NoQt())
import ltc_assess
for mod in pkgutil.walk_packages(ltc_assess.__path__, "ltc_assess."):
    if mod.name.startswith("ltc_assess.ui") or mod.name in ("ltc_assess.__main__", "ltc_assess.cli.gui"):
        continue
    importlib.import_module(mod.name)
from ltc_assess.cli import main
sys.exit(main(["forms", "list"]))
"""


def _modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(ltc_assess.__path__, "ltc_assess.") if m.name != "ltc_assess.__main__"]


@pytest.mark.parametrize("name", _modules())
def test_module_imports(name: str) -> None:
    """Test that every module imports (catches errors before PyInstaller does)."""
    if name.startswith("ltc_assess.ui"):
        pytest.importorskip("PySide6")
    importlib.import_module(name)


@pytest.mark.slow  # a subprocess importing the whole core
def test_core_runs_without_qt() -> None:
    """Test that every core module imports and the CLI works when PySide6 cannot be imported."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", CORE_CHECK], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "barthel@1" in proc.stdout


def test_importing_the_package_has_no_side_effects() -> None:
    """Test that `import ltc_assess` loads no Qt, database or report library."""
    code = "import sys, ltc_assess; bad = [m for m in ('PySide6', 'sqlite_utils', 'reportlab') if m in sys.modules]; print(bad)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout.strip() == "[]"
