"""The 到期提醒 tab: shown only under a city policy, lists what falls due, writes the 告知书."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from unit.lifecycle.helpers import approved, make_city
from world import World

from ltc_assess.ui.main_window import MainWindow


def test_due_tab_lists_and_writes_the_letter(qtbot: QtBot, qtmodeltester: ModelTester, world: World,
                                             tmp_path: Path) -> None:
    """Test the tab's rows (status review and re-application wait), its policy label, and the letter file."""
    without = MainWindow(world.service, world.sup2)
    qtbot.addWidget(without)
    assert without.due is None  # no city chosen: no tab
    city = make_city(world, "tianjin")
    aid = approved(city)
    city.lc.flag_status_review(world.sup2, aid, "2026-11-20", "术后康复")
    window = MainWindow(world.service, world.sup2)
    qtbot.addWidget(window)
    window.resize(1100, 500)
    assert window.due is not None
    panel = window.due
    qtmodeltester.check(panel.model)
    assert "天津 tianjin@1（未核实）" in panel.policy.text()
    kinds = [panel.model.data(panel.model.index(r, 1)) for r in range(panel.model.rowCount())]
    assert kinds == ["待状态评估", "暂不能重新申请"]
    window.tabs.setCurrentWidget(panel)
    window.grab().save(str(tmp_path / "due.png"))
    panel.view.selectRow(0)
    assert panel.selected_id() == aid
    panel.write_letter(aid, tmp_path / "letter.pdf")  # rendered by a worker thread
    qtbot.waitUntil(lambda: (tmp_path / "letter.pdf").exists() and panel.letter_button.isEnabled(), timeout=20000)
    assert "天津长期护理保险失能等级评估结论告知书" in PdfReader(tmp_path / "letter.pdf").pages[0].extract_text()
