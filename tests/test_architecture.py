"""Architecture guards: every module imports, and the core works with PySide6 absent."""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import re
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


# --- layer rules import-linter cannot see: where SQL runs, who reaches into the service ---------------------------

PACKAGE = REPO / "ltc_assess"
SQL_START = re.compile(
    r"^\s*(SELECT\s|INSERT INTO\s|UPDATE \w+ SET\s|DELETE FROM\s|PRAGMA \w+\s*($|[=(;])|CREATE\s|DROP\s|ALTER TABLE\s)"
)
SQL_CALLS = {"execute", "executemany", "executescript", "query"}
# Modules that still read through ``service.store``/``service.db`` (use cases beside the service, not yet moved
# behind a manager). The list may only shrink: the test fails when a listed module no longer needs its place.
STORE_USERS_TO_MOVE = {
    "bundle_records.py", "bundles.py", "lifecycle/base.py", "replay.py",
}


def _core_files(*, outside: str) -> list[tuple[str, ast.Module]]:
    """Every module of the package outside the sub-package ``outside`` (path relative to the package), parsed."""
    return [
        (path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
        if not path.relative_to(PACKAGE).as_posix().startswith(outside + "/")
    ]


def _is_service(node: ast.expr) -> bool:
    """``service``, ``self.service``, ``lc.service``…: the facade, however it is reached."""
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name in ("service", "svc")


def test_only_storage_runs_sql() -> None:
    """Test that no module outside storage/ holds an SQL statement or calls execute() (storage/pg included)."""
    found = []
    for name, tree in _core_files(outside="storage"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_START.match(node.value):
                found.append(f"{name}:{node.lineno}: {node.value.strip()[:40]}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
                found.append(f"{name}:{node.lineno}: .{node.func.attr}()")
    assert found == []


def test_nothing_outside_the_service_reaches_into_it() -> None:
    """Test that outside ltc_assess/service/ no code touches the service's private members, and only the listed
    modules (to be moved behind a manager) its ``store`` or ``db``: the managers and ``unit_of_work`` are the door."""
    private, store_users = [], set()
    for name, tree in _core_files(outside="service"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _is_service(node.value):
                if node.attr.startswith("_") and not node.attr.startswith("__"):
                    private.append(f"{name}:{node.lineno}: .{node.attr}")
                if node.attr in ("store", "db"):
                    store_users.add(name)
    assert private == []
    assert store_users - STORE_USERS_TO_MOVE == set(), "use the service's managers or service.unit_of_work()"
    assert STORE_USERS_TO_MOVE - store_users == set(), "moved behind the service: strike it from the list"
