"""Architecture guards: every module imports, and the core works with PySide6 absent."""

from __future__ import annotations

import ast
import dataclasses
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
def _core_files(*, outside: str) -> list[tuple[str, ast.Module]]:
    """Every module of the package outside the sub-package ``outside`` (path relative to the package), parsed."""
    return [
        (path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
        if not path.relative_to(PACKAGE).as_posix().startswith(outside + "/")
    ]


def _is_service(node: ast.expr) -> bool:
    """``service``, ``self.service``, ``lc.service``, ``self._service``…: the facade, however it is reached."""
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name.lstrip("_") == "svc" or name.endswith("service")


def _reaching_in(tree: ast.Module) -> list[str]:
    """Where ``tree`` reaches into the service: its ``store``, its ``db`` or a private member, as an attribute or
    through ``getattr(service, "…")``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_service(node.value):
            member = node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and _is_service(node.args[0])
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            member = node.args[1].value
        else:
            continue
        if member in ("store", "db") or (member.startswith("_") and not member.startswith("__")):
            found.append(f"{node.lineno}: .{member}")
    return found


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
    """Test that outside ltc_assess/service/ no code touches the service's ``store``, ``db`` or a private member:
    the managers and ``service.unit_of_work()`` (its ``work.store``, ``work.lifecycle``) are the door."""
    found = [f"{name}:{where}" for name, tree in _core_files(outside="service") for where in _reaching_in(tree)]
    assert found == [], "use the service's managers or service.unit_of_work()"


@pytest.mark.parametrize(
    "planted",
    [
        "service.store.users()",
        "def f(self):\n    return self.service.db",
        "rows = lc.service.store.list_assessments()",
        "self._service.store.setting('x')",
        "svc.store",
        "getattr(service, 'store')",
        "service._key",
        "with service.unit_of_work() as work:\n    service._locked()",
    ],
)
def test_the_service_scan_finds_a_planted_reach(planted: str) -> None:
    """Test that the scan above fails on each way of reaching into the service (a scan that finds nothing
    would pass on any code)."""
    assert _reaching_in(ast.parse(planted)) != []


def test_the_service_scan_lets_the_doors_pass() -> None:
    """Test that the managers, the unit of work's store and other objects' ``store`` are not reported."""
    code = "service.queries.assessment(1)\nwith service.unit_of_work() as work:\n    work.store.set_setting('a', 'b')\n"
    assert _reaching_in(ast.parse(code + "source.store.revoked(x)\nservice.__class__\n")) == []


# --- the UI applies the service's Changes, never its own ----------------------------------------------------


def _made_changes(tree: ast.Module) -> list[str]:
    """Where ``tree`` makes up a ``Changes`` instead of passing on the service's: ``Changes(...)`` with anything in
    it, or ``replace(x, some_changed=...)`` setting one of its fields. The empty ``Changes()`` ("nothing happened")
    passes."""
    from ltc_assess.storage.work import Changes

    names = {f.name for f in dataclasses.fields(Changes)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if called == "Changes" and (node.args or node.keywords):
            found.append(f"{node.lineno}: Changes(...)")
        elif called == "replace" and {k.arg for k in node.keywords} & names:
            found.append(f"{node.lineno}: replace(..., {sorted({k.arg for k in node.keywords} & names)[0]}=...)")
    return found


def test_the_ui_makes_up_no_changes() -> None:
    """Test that no module of ltc_assess/ui/ builds a ``Changes`` of its own: a view emits what the service
    returned (or ``Changes()``, nothing happened), so the shell refreshes exactly what the mutation touched."""
    ui = PACKAGE / "ui"
    found = [
        f"{path.relative_to(PACKAGE).as_posix()}:{where}"
        for path in sorted(ui.rglob("*.py"))
        for where in _made_changes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "emit the Changes the service returned"


@pytest.mark.parametrize(
    "planted",
    [
        "self.changed.emit(Changes(policy_changed=True))",
        "self.changed.emit(Changes(assessment_ids=(aid,)))",
        "service_module.Changes((1,))",
        "changes = replace(changes, list_changed=True)",
        "dataclasses.replace(Changes(), due_changed=True)",
    ],
)
def test_the_changes_scan_finds_a_planted_one(planted: str) -> None:
    """Test that the scan above fails on each way of making up Changes in the UI, and lets the empty one and
    other replaces pass (a scan that finds nothing would pass on any code)."""
    assert _made_changes(ast.parse(planted)) != []
    assert _made_changes(ast.parse("x = Changes()\nif c != Changes(): pass\ny = replace(outcome, held=None)")) == []


# --- small modules ---------------------------------------------------------------------------------------------

MAX_LINES = 400  # a module longer than this holds more than one concern: split it along them


def _too_long(root: Path, limit: int = MAX_LINES) -> list[str]:
    """Every module under ``root`` longer than ``limit`` lines, with its length."""
    lengths = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in sorted(root.rglob("*.py"))}
    return [f"{path.relative_to(root).as_posix()}: {n} lines" for path, n in lengths.items() if n > limit]


def test_no_module_of_the_package_exceeds_400_lines() -> None:
    """Test that every module in ltc_assess/ has at most 400 lines."""
    assert _too_long(PACKAGE) == []


def test_the_length_check_finds_a_long_module(tmp_path: Path) -> None:
    """Test that the check above reports a 401-line module (in a sub-package too) and lets a 400-line one pass."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "ok.py").write_text("x = 1\n" * MAX_LINES, encoding="utf-8")
    (tmp_path / "sub" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    assert _too_long(tmp_path) == ["sub/long.py: 401 lines"]
