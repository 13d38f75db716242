"""The 评估对象 tab: find a person, register one, open their page, start an assessment (Ctrl+N)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLineEdit, QMessageBox, QPushButton, QVBoxLayout, QWidget

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.schema.registry import default_form, installed_forms
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import User
from ltc_assess.ui.models import subject_model, subject_row
from ltc_assess.ui.new_assessment_dialog import NewAssessmentDialog, offered_forms
from ltc_assess.ui.register_dialog import RegisterDialog
from ltc_assess.ui.subject_dialog import SubjectDialog
from ltc_assess.ui.tables import selected_id, table
from ltc_assess.workflow import Role

NEW_ASSESSMENT_KEY = QKeySequence("Ctrl+N")


class PeopleTab(QWidget):
    """The people register.

    ``policy_form`` is the form version the city policy prescribes (offered first), None without a policy; the
    shell sets it, and sets it again when the admin chooses another city.

    Signals:
        changed: a mutation made here or in a dialog opened here. args: its ``Changes``
        assessment_started: open the new assessment's wizard. args: assessment id (int)
    """

    changed = Signal(object)
    assessment_started = Signal(int)

    def __init__(self, service: AssessmentService, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.actor = service, actor
        self.policy_form: str | None = None
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("按姓名、身份证号后几位或电话搜索"))
        self.search.textChanged.connect(lambda _t: self.refresh())
        row.addWidget(self.search)
        edits = actor.role != Role.ADMIN  # an administrator looks people up but does not assess
        self.buttons: list[QPushButton] = []
        for text, slot, keys, allowed in (
            (_("登记"), self.register, None, edits),
            (_("查看"), self.open_subject, None, True),
            (_("新建评估"), self.new_assessment, NEW_ASSESSMENT_KEY, edits),
        ):
            native = "" if keys is None else keys.toString(QKeySequence.SequenceFormat.NativeText)
            button = QPushButton(f"{text} ({native})" if native else text)
            button.clicked.connect(slot)
            button.setEnabled(allowed)
            button.setAutoDefault(False)
            row.addWidget(button)
            self.buttons.append(button)
        self.may_start = edits
        layout.addLayout(row)
        self.subjects = subject_model()
        self.subject_view = table(self.subjects, Qt.SortOrder.AscendingOrder)
        self.subject_view.activated.connect(lambda _i: self.open_subject())  # Enter or double-click on a person
        self.search.returnPressed.connect(self._search_to_table)
        layout.addWidget(self.subject_view)
        # Tab: search -> people -> buttons (the table does not swallow Tab)
        QWidget.setTabOrder(self.search, self.subject_view)
        QWidget.setTabOrder(self.subject_view, self.buttons[0])
        for a, b in zip(self.buttons, self.buttons[1:], strict=False):
            QWidget.setTabOrder(a, b)
        self.refresh()

    def install_shortcuts(self, window: QWidget) -> None:
        """Ctrl+N starts an assessment from anywhere in ``window`` (where assessing is allowed)."""
        if self.may_start:
            QShortcut(NEW_ASSESSMENT_KEY, window).activated.connect(self.new_assessment)

    def refresh(self) -> None:
        self.subjects.refresh([subject_row(s) for s in self.service.search_subjects(self.search.text())])

    def _search_to_table(self) -> None:
        """Enter in the search field goes to the people found, the first one selected."""
        if self.subjects.rowCount():
            self.subject_view.setFocus()
            self.subject_view.selectRow(0)

    def register(self) -> None:
        dialog = RegisterDialog(self.service, self.actor, self)
        dialog.changed.connect(self.changed.emit)
        dialog.exec()

    def open_subject(self) -> None:
        sid = selected_id(self.subject_view)
        if sid is not None:
            dialog = SubjectDialog(self.service, self.service.subject(sid), self, self.actor)
            dialog.changed.connect(self.changed.emit)
            dialog.exec()

    def _first_forms(self) -> list[str]:
        """The city's form, then the forms this assessor used, most recent first, then the installation's default
        form (``forms/index.yaml``): which form leads is data, never an id written here."""
        used = [r["form_id"] for r in self.service.my_work(self.actor)]  # newest first
        return ([self.policy_form] if self.policy_form else []) + list(dict.fromkeys([*used, default_form()]))

    def _second_assessors(self) -> Sequence[User]:
        return [u for u in self.service.users(role=Role.ASSESSOR) if u.id != self.actor.id and not u.disabled]

    def new_assessment(self) -> None:
        sid = selected_id(self.subject_view)
        if sid is None:
            QMessageBox.information(self, _("新建评估"), _("请先在列表中选择评估对象。"))
            return
        forms = offered_forms(installed_forms(), self._first_forms())
        dialog = NewAssessmentDialog(self.service.subject(sid), forms, self._second_assessors(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            record, changes = self.service.start_assessment(self.actor, dialog.request())
        except LtcError as exc:
            QMessageBox.warning(self, _("操作未完成"), str(exc))
            return
        self.assessment_started.emit(record.id)
        self.changed.emit(changes)
