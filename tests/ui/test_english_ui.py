"""The English UI has no Chinese left: the widget tree of the lists, the wizard on every form, the read-only view and
the review dialog is walked (labels, buttons, tooltips, list and table cells, tabs, titles) on the demo data.

What people typed (names, districts, comments, reasons) stays as typed and is taken out before the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QTabWidget,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from ltc_assess.assessment_view import assessment_view
from ltc_assess.demo import PASSWORDS, create_demo
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.ui.assessment_view import AssessmentViewDialog
from ltc_assess.ui.language import use_language
from ltc_assess.ui.main_window import MainWindow
from ltc_assess.ui.review import ReviewDialog
from ltc_assess.ui.wizard.window import WizardWindow

CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff01-\uffef]")  # ideographs, CJK and full-width punctuation
FORMS = ("gbt42195-2022", "mzt039-2013", "nhsa-ltc-2021", "barthel")


def _texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) of everything a user can read in ``root`` and its visible children."""
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        if not w.isVisible():
            continue
        where = f"{type(w).__name__} {w.objectName()}"
        yield where, w.windowTitle() if w is root else ""
        yield where + " tooltip", w.toolTip()
        if isinstance(w, QLabel | QAbstractButton):
            yield where, w.text()
        elif isinstance(w, QLineEdit):
            yield where, w.placeholderText()
        elif isinstance(w, QTextEdit):
            yield where, w.toPlainText()
        elif isinstance(w, QGroupBox):
            yield where, w.title()
        elif isinstance(w, QComboBox):
            yield from ((where, w.itemText(n)) for n in range(w.count()))
        elif isinstance(w, QTabWidget):
            yield from ((where, w.tabText(n)) for n in range(w.count()))
        if isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView) and w.model() is not None:
            model = w.model()
            columns = model.columnCount(QModelIndex()) if not isinstance(w, QListView) else 1
            for col in range(columns):
                yield where + " header", str(model.headerData(col, Qt.Orientation.Horizontal) or "")
            for row in range(model.rowCount(QModelIndex())):
                for col in range(columns):
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                        yield f"{where} cell {row},{col}", str(model.index(row, col).data(role) or "")


def _chinese(root: QWidget, typed: set[str]) -> list[tuple[str, str]]:
    found = []
    for where, text in _texts(root):
        for value in sorted(typed, key=len, reverse=True):
            text = text.replace(value, "")
        if CJK.search(text):
            found.append((where, text))
    return found


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[AssessmentService, set[str]]]:
    path = tmp_path / "demo.db"
    create_demo(str(path))
    service = AssessmentService(path)
    reader = service.login("supervisor1", PASSWORDS["supervisor1"])  # the demo database is encrypted: log in
    typed = {u.display_name for u in service.users()}
    for s in service.search_subjects(""):
        typed |= {v for v in (s.name, s.address, s.district) if v}
        typed |= {v for c in s.contacts for v in c.values() if v}
    for row in service.list_assessments():
        record = service.assessment(row["id"])
        typed |= {v for v in (record.informant_name, record.decision_reason) if v}
        typed |= {c.body for c in service.comments(record.id)}
        typed |= {v for v in record.answers.values() if isinstance(v, str)}
        for event in assessment_view(service, reader, record.id).history:  # reasons typed for a step come first
            typed |= {event.note.split("；")[0]} if event.note else set()
    use_language("en")  # ours and Qt's (a Chinese Qt catalog left by an earlier test says 关闭)
    try:
        yield service, typed
    finally:
        use_language("zh_CN")
        service.close()


def test_english_lists_wizards_view_and_review_have_no_chinese(
    qtbot: QtBot, demo: tuple[AssessmentService, set[str]]
) -> None:
    """Test that in English no widget of the main window's tabs, the wizard (every item of all four forms), the
    read-only view (every tab) and the review dialog shows a Chinese character, apart from what people typed."""
    service, typed = demo
    found: list[tuple[str, str, str]] = []
    assessor = service.login("assessor1", PASSWORDS["assessor1"])
    window = MainWindow(service, assessor)
    qtbot.addWidget(window)
    window.show()
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
        found += [(f"main tab {tab}", w, t) for w, t in _chinese(window, typed)]
    subject = service.search_subjects("")[0]
    for form in FORMS:
        record, _ = service.start_assessment(assessor, NewAssessment(subject_id=subject.id, form=form))
        wizard = WizardWindow(service, assessor, record.id)
        qtbot.addWidget(wizard)
        wizard.show()
        for item_id in wizard.form.items:
            if wizard.session.is_visible(wizard.form.items[item_id]):
                wizard.goto(item_id)
                found += [(f"{form} {item_id}", w, t) for w, t in _chinese(wizard, typed)]
        wizard.close()
    approved = next(r["id"] for r in service.my_work(assessor, "approved"))
    view = AssessmentViewDialog(service, assessor, approved)
    qtbot.addWidget(view)
    view.show()
    for tab in range(view.tabs.count()):
        view.tabs.setCurrentIndex(tab)
        found += [(f"view tab {tab}", w, t) for w, t in _chinese(view, typed)]
    supervisor = service.login("supervisor1", PASSWORDS["supervisor1"])
    submitted = service.list_assessments("submitted")[0]["id"]
    review = ReviewDialog(service, supervisor, submitted)
    qtbot.addWidget(review)
    review.show()
    found += [("review", w, t) for w, t in _chinese(review, typed)]
    boss = MainWindow(service, supervisor)
    qtbot.addWidget(boss)
    boss.show()
    for tab in range(boss.tabs.count()):
        boss.tabs.setCurrentIndex(tab)
        found += [(f"supervisor tab {tab}", w, t) for w, t in _chinese(boss, typed)]
    seen = {}
    for where, widget, text in found:
        seen.setdefault((widget, text), where)
    assert seen == {}, "\n".join(f"{w} | {k[0]} | {CJK.findall(k[1])} | {k[1][:300]!r}" for k, w in seen.items())
