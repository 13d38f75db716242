"""Which form a new assessment offers first is data: the city policy's form, else the forms index's default."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from world import World

from ltc_assess.lifecycle import Lifecycle
from ltc_assess.ui.main_window import MainWindow
from ltc_assess.ui.new_assessment_dialog import NewAssessmentDialog


def _preselected(qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> str:
    """The form the dialog opened from the people tab preselects (and a PNG of it to look at)."""
    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    window.people.subject_view.selectRow(0)
    seen: list[str] = []

    def look(dialog: NewAssessmentDialog) -> int:
        seen.append(dialog.form_box.currentData())
        assert dialog.grab().save(str(tmp_path / f"{name}.png"))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(NewAssessmentDialog, "exec", look)
    window.people.new_assessment()
    return seen[0]


def test_without_a_city_or_history_the_national_standard_is_preselected(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Test that with no city policy and no assessment yet the dialog preselects GB/T 42195-2022 (not Barthel)."""
    assert _preselected(qtbot, world, monkeypatch, tmp_path, "default") == "gbt42195-2022@1"


def test_the_default_comes_from_the_forms_index(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Test that changing ``default`` in forms/index.yaml (a copy) changes what is preselected: no id in code."""
    from ltc_assess import paths

    forms = tmp_path / "forms"
    shutil.copytree(paths.forms_dir(), forms)
    (forms / "index.yaml").write_text("default: mzt039-2013\n", encoding="utf-8")
    monkeypatch.setattr(paths, "forms_dir", lambda: forms)
    assert _preselected(qtbot, world, monkeypatch, tmp_path, "index") == "mzt039-2013@1"


def test_a_city_policy_brings_its_own_form(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Test that once a city is chosen its policy's form (成都: NHSA 2021) leads, before the index's default."""
    Lifecycle(world.service).use_city(world.admin, "chengdu")
    assert _preselected(qtbot, world, monkeypatch, tmp_path, "city") == "nhsa-ltc-2021@1"
