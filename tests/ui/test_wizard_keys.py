"""The wizard at the bedside: printed codes as keys, auto-advance, none-of-these, required items first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from world import World

from ltc_assess.service import NewAssessment
from ltc_assess.ui.wizard.editors import EDITORS
from ltc_assess.ui.wizard.window import WizardWindow


def _wizard(qtbot: QtBot, world: World, form: str = "gbt42195-2022") -> WizardWindow:
    record, _ = world.service.start_assessment(world.a1, NewAssessment(
        subject_id=world.subject.id, form=form, assessor2_id=world.a2.id, informant_name="王小明"))
    wizard = WizardWindow(world.service, world.a1, record.id)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _stored(world: World, wizard: WizardWindow) -> dict[str, object]:
    return world.service.assessment(wizard.aid).answers


def test_digit_is_the_printed_code_and_the_choice_moves_on(qtbot: QtBot, world: World) -> None:
    """Test that on a GB/T B item key 1 records the score 1 (not the first option, [4]) and key 0 records 0, each
    saved and followed by the next item; on A.5 key 0 is 无."""
    wizard = _wizard(qtbot, world)
    wizard.goto("B.1.1")
    qtbot.keyClick(wizard, Qt.Key.Key_1)
    assert _stored(world, wizard)["B.1.1"] == 1 and wizard.session.current_item == "B.1.2"
    assert "B.1.1" in wizard.saved.text() and wizard.saved.text().startswith("已保存")
    qtbot.keyClick(wizard, Qt.Key.Key_0)
    assert _stored(world, wizard)["B.1.2"] == 0 and wizard.session.current_item == "B.1.3"
    qtbot.keyClick(wizard, Qt.Key.Key_9)  # no option has code 9: nothing happens
    assert "B.1.3" not in _stored(world, wizard) and wizard.session.current_item == "B.1.3"
    wizard.goto("A.5.10")
    qtbot.keyClick(wizard, Qt.Key.Key_0)
    assert _stored(world, wizard)["A.5.10"] == 0 and wizard.session.current_item == "A.5.11"


def test_each_option_shows_its_key(qtbot: QtBot, world: World) -> None:
    """Test that option buttons lead with their key: the printed code on B items, the position on text codes."""
    form = world.service.form("gbt42195-2022")
    b11 = EDITORS["single_choice"](form.items["B.1.1"])
    reason = EDITORS["single_choice"](form.items["A.1.3"])
    for editor in (b11, reason):
        qtbot.addWidget(editor)
    assert b11.keys == ["4", "3", "2", "1", "0"]  # type: ignore[attr-defined]
    assert reason.keys == ["1", "2", "3", "4", "5"]  # type: ignore[attr-defined]
    labels = [b.label.text() for b in b11.group.buttons()]  # type: ignore[attr-defined]
    assert labels[0].startswith("<b>4</b>") and labels[4].startswith("<b>0</b>")
    diagnoses = EDITORS["multi_choice"](form.items["A.4.1"])
    qtbot.addWidget(diagnoses)
    keys = diagnoses.keys  # type: ignore[attr-defined]
    assert keys[:10] == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "A"] and "N" not in keys and "R" not in keys
    b17 = EDITORS["single_choice"](form.items["B.1.7"])  # prints "每周<1次": escaped, not eaten as markup
    qtbot.addWidget(b17)
    assert any("&lt;1" in b.label.text() for b in b17.group.buttons())  # type: ignore[attr-defined]


def test_backspace_goes_back_and_a_changed_answer_names_the_old_one(qtbot: QtBot, world: World) -> None:
    """Test that Backspace returns to the previous item and that changing its answer says what it replaced."""
    wizard = _wizard(qtbot, world)
    wizard.goto("B.1.1")
    qtbot.keyClick(wizard, Qt.Key.Key_4)
    assert wizard.session.current_item == "B.1.2"
    qtbot.keyClick(wizard, Qt.Key.Key_Backspace)
    assert wizard.session.current_item == "B.1.1"
    assert wizard.editor.value() == 4  # type: ignore[union-attr]
    qtbot.keyClick(wizard, Qt.Key.Key_2)
    assert _stored(world, wizard)["B.1.1"] == 2 and wizard.session.current_item == "B.1.2"
    assert "原为" in wizard.saved.text()
    qtbot.keyClick(wizard, Qt.Key.Key_Left)
    qtbot.keyClick(wizard, Qt.Key.Key_2)  # the same answer again: nothing to save, but it moves on
    assert wizard.session.current_item == "B.1.2"


def test_none_key_answers_all_five_risk_events_and_the_diagnoses(qtbot: QtBot, world: World) -> None:
    """Test that N on A.2.14.1 records 无 for all five risk events in one keystroke and moves past them, and N on
    A.4.1 records the explicit empty list (无) that submission needs."""
    wizard = _wizard(qtbot, world)
    wizard.goto("A.2.14.1")
    qtbot.keyClick(wizard, Qt.Key.Key_N)
    stored = _stored(world, wizard)
    assert [stored[f"A.2.14.{n}"] for n in range(1, 6)] == [0] * 5
    assert wizard.session.current_item == "A.3.1"
    wizard.goto("A.4.1")
    qtbot.keyClick(wizard, Qt.Key.Key_N)
    assert _stored(world, wizard)["A.4.1"] == [] and wizard.session.current_item == "A.4.2"
    assert not [m for m in world.service.checklist(wizard.aid) if m.item_id in {"A.4.1", "A.2.14.3"}]


def test_a_section_is_ticked_only_when_answered(qtbot: QtBot, world: World) -> None:
    """Test that A.2.14 and A.4 are not ticked before anything is entered, and are once answered 无."""
    wizard = _wizard(qtbot, world)

    def mark(section_id: str) -> str:
        qtbot.wait(1)  # the section list and score panel follow the card a frame later
        row = next(n for n, s in enumerate(wizard.form.sections) if s.id == section_id)
        return wizard.sections.item(row).text()

    assert "✓" not in mark("A.2.14") and "0/5" in mark("A.2.14")
    assert "✓" not in mark("A.4")
    wizard.goto("A.2.14.1")
    qtbot.keyClick(wizard, Qt.Key.Key_N)
    wizard.goto("A.4.1")
    qtbot.keyClick(wizard, Qt.Key.Key_N)
    assert "✓" in mark("A.2.14") and "✓" in mark("A.4")


def test_required_items_first(qtbot: QtBot, world: World) -> None:
    """Test that entering A.5 lands on A.5.11 昏迷, the card names the section's open required items, and R jumps
    to the next open required item."""
    wizard = _wizard(qtbot, world)
    wizard.goto("A.4.2")
    qtbot.keyClick(wizard, Qt.Key.Key_PageDown)
    assert wizard.session.current_item == "A.5.11"
    assert "A.5.11 昏迷" in wizard.open_required.text() and wizard.label.text().endswith("*")
    qtbot.keyClick(wizard, Qt.Key.Key_0)
    assert wizard.session.current_item == "A.5.12" and not wizard.open_required.isVisible()
    wizard.goto("A.2.14.2")
    qtbot.keyClick(wizard, Qt.Key.Key_R)
    assert wizard.session.current_item == "A.2.14.3"


def test_live_panel_says_the_level_is_provisional(qtbot: QtBot, world: World) -> None:
    """Test that with every B item answered but the inputs of R1–R3 blank, the level is shown as provisional
    naming them, and becomes final once they are answered 无."""
    wizard = _wizard(qtbot, world)
    wizard.goto("B.1.1")
    for _ in wizard.form.scored_items:
        qtbot.keyClick(wizard, wizard.editor.keys[0])  # type: ignore[union-attr]
    panel = wizard.score_panel
    qtbot.wait(1)  # the section list and score panel follow the card a frame later
    assert "暂定" in panel.level.text() and "0 能力完好" in panel.level.text()
    assert "A.2.14.1" in panel.provisional.text() and "A.4.1" in panel.provisional.text()
    assert "未填写，按无处理" in panel.explain.toPlainText()
    wizard.goto("A.2.14.1")
    qtbot.keyClick(wizard, Qt.Key.Key_N)
    wizard.goto("A.4.1")
    qtbot.keyClick(wizard, Qt.Key.Key_N)
    wizard.goto("A.5.11")
    qtbot.keyClick(wizard, Qt.Key.Key_0)
    qtbot.wait(1)  # the section list and score panel follow the card a frame later
    assert "暂定" not in panel.level.text() and not panel.provisional.isVisible()
    assert "未填写" not in panel.explain.toPlainText()


def test_signature_pads_name_the_signer(qtbot: QtBot, world: World) -> None:
    """Test that each signature card names its person: both assessors and the information provider."""
    wizard = _wizard(qtbot, world)
    for item_id, name in (("SIG.assessor1", world.a1.display_name), ("SIG.assessor2", world.a2.display_name),
                          ("SIG.informant", "王小明")):
        wizard.goto(item_id)
        assert name in wizard.label.text(), item_id


def test_register_dialog_fits_the_number_and_speaks_plainly(qtbot: QtBot, world: World) -> None:
    """Test that the ID field shows 18 digits in full and that errors name the field in words, not `id_number:`."""
    from ltc_assess.ui.register_dialog import RegisterDialog

    dialog = RegisterDialog(world.service, world.a1)
    qtbot.addWidget(dialog)
    dialog.show()
    field = dialog.fields["id_number"]
    field.setText("110105194003151236")
    assert field.width() >= field.fontMetrics().horizontalAdvance(field.text()) + 8
    dialog.accept()
    assert dialog.error.text().startswith("请填写姓名")
    dialog.fields["name"].setText("赵桂芳")
    field.setText("1101051940031512")
    dialog.accept()
    assert "id_number" not in dialog.error.text() and "公民身份号码" in dialog.error.text()


def test_english_wizard_has_no_chinese_on_the_card_panel_and_checklist(qtbot: QtBot, world: World) -> None:
    """Test that in English the card, its options, the saved line, the score panel (labels, level, provisional
    note) and the submission checklist carry no Chinese (the engine's explanation stays Chinese by contract)."""
    import re

    from ltc_assess.i18n import set_language
    from ltc_assess.ui.wizard.checklist import ChecklistDialog

    cjk = re.compile(r"[\u4e00-\u9fff]")
    try:
        set_language("en")
        wizard = _wizard(qtbot, world)
        wizard.goto("B.1.1")
        for _ in wizard.form.scored_items:
            qtbot.keyClick(wizard, wizard.editor.keys[0])  # type: ignore[union-attr]
        wizard.goto("A.5.11")
        qtbot.wait(1)  # the section list and score panel follow the card a frame later
        texts = [wizard.label.text(), wizard.code.text(), wizard.open_required.text(), wizard.saved.text(),
                 wizard.score_panel.dims.text(), wizard.score_panel.level.text(), wizard.score_panel.provisional.text(),
                 wizard.none_button.text(), wizard.issue.text()]
        texts += [b.label.text() for b in wizard.editor.group.buttons()]  # type: ignore[union-attr]
        texts += [wizard.sections.item(n).text() for n in range(wizard.sections.count())]
        dialog = ChecklistDialog(wizard)
        qtbot.addWidget(dialog)
        texts += [dialog.list.item(n).text() for n in range(dialog.list.count())]
        assert "Provisional" in wizard.score_panel.level.text() or "provisional" in wizard.score_panel.level.text()
        assert [t for t in texts if cjk.search(t)] == []
    finally:
        set_language("zh_CN")
