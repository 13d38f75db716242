"""Main window: subject register, the assessor's work, the supervisor's review queue."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPaintEvent, QPen, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ltc_assess import idnumber
from ltc_assess.conclusions import city_policy
from ltc_assess.errors import LtcError
from ltc_assess.i18n import LANGUAGES, _, language
from ltc_assess.report.data import REASON_LABELS
from ltc_assess.schema.registry import installed_forms
from ltc_assess.service import REASONS, AssessmentService, NewAssessment
from ltc_assess.storage.records import Subject, User
from ltc_assess.ui.assessment_view import AssessmentViewDialog
from ltc_assess.ui.due import DuePanel
from ltc_assess.ui.exchange import ConflictsPanel, Exchange
from ltc_assess.ui.focus import FOCUS_STYLE
from ltc_assess.ui.language import remember_language, use_language
from ltc_assess.ui.models import RowsModel, assessment_model, form_name, subject_model
from ltc_assess.ui.review import ReviewDialog, comment_line
from ltc_assess.ui.wizard.window import WizardWindow
from ltc_assess.ui.workers import run_with_service
from ltc_assess.workflow import ROLE_LABELS, STATUS_LABELS, Role, Status


def _subject_row(s: Subject) -> dict[str, Any]:
    return {**asdict(s), "masked_id": s.masked_id}


def _table(model: RowsModel, order: Qt.SortOrder = Qt.SortOrder.DescendingOrder) -> QTableView:
    """A sortable table, sorted by its first column: people A→Z, assessments newest first (the default)."""
    view = QTableView()
    view.setModel(model)
    view.setSortingEnabled(True)
    view.sortByColumn(0, order)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.verticalHeader().setVisible(False)
    view.setTabKeyNavigation(False)  # Tab moves on to the next control; arrows move between rows
    return view


def _selected_id(view: QTableView) -> int | None:
    rows = view.selectionModel().selectedRows()
    return None if not rows else view.model().data(rows[0], Qt.ItemDataRole.UserRole)


class LevelChart(QWidget):
    """Levels over time as a small line chart (higher level = more dependent)."""

    def __init__(self, points: list[tuple[str, int]], top: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points, self.top = points, max(top, 1)
        self.setMinimumHeight(160)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h, pad = self.width(), self.height(), 30
        painter.setPen(QPen(QColor("#9ca3af"), 1))
        painter.drawLine(pad, h - pad, w - 10, h - pad)
        painter.drawLine(pad, 10, pad, h - pad)
        if not self.points:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, _("暂无已批准的评估"))
            return
        step = (w - pad - 20) / max(1, len(self.points) - 1)
        coords = [
            QPointF(pad + 10 + n * step, h - pad - (level / self.top) * (h - pad - 20))
            for n, (_d, level) in enumerate(self.points)
        ]
        painter.setPen(QPen(QColor("#1d4ed8"), 2))
        for a, b in zip(coords, coords[1:], strict=False):
            painter.drawLine(a, b)
        for (date, level), point in zip(self.points, coords, strict=True):
            painter.drawEllipse(point, 3, 3)
            painter.drawText(point + QPointF(-30, 18 if point.y() < h - pad - 20 else -8), f"{date} ({level})")
        painter.end()


class SubjectDialog(QDialog):
    """A person's page: details, assessment history, the levels over time, and their reports."""

    def __init__(
        self, service: AssessmentService, subject: Subject, parent: QWidget | None = None, actor: User | None = None
    ) -> None:
        super().__init__(parent)
        self.service, self.actor = service, actor
        self.setWindowTitle(subject.name)
        self.resize(820, 560)
        layout = QVBoxLayout(self)
        info = QLabel(
            f"<b>{subject.name}</b>　{subject.birth_date}　{subject.masked_id}　{subject.district or ''}"
            f"　{subject.phone or ''}"
        )
        layout.addWidget(info)
        history = service.history(subject.id)
        self.model = assessment_model()
        self.model.refresh(history)
        self.view = _table(self.model)
        layout.addWidget(self.view)
        row = QHBoxLayout()
        self.export_button = QPushButton(_("导出报告PDF…"))
        self.export_button.clicked.connect(self._export_clicked)
        self.status = QLabel("")
        row.addWidget(self.export_button)
        if actor is not None and actor.role == Role.SUPERVISOR:
            amend = QPushButton(_("更正（新版本）…"))
            amend.clicked.connect(self._amend_clicked)
            row.addWidget(amend)
        row.addWidget(self.status)
        row.addStretch()
        layout.addLayout(row)
        points = [
            (r["assessment_date"], r["decided_level"] if r["decided_level"] is not None else r["proposed_level"])
            for r in history
            if r["status"] == "approved"
        ]
        top = max((len(f.scoring.levels) - 1 for f in installed_forms()), default=4)
        layout.addWidget(QLabel(_("历次评估等级")))
        layout.addWidget(LevelChart([(d, lv) for d, lv in points if lv is not None], top))

    def _export_clicked(self) -> None:
        aid = _selected_id(self.view)
        if aid is None:
            self.status.setText(_("请先选择一次评估。"))
            return
        target, _filter = QFileDialog.getSaveFileName(self, _("导出报告PDF…"), f"report-{aid}.pdf", "PDF (*.pdf)")
        if target:
            self.export_report(aid, Path(target))

    def _amend_clicked(self) -> None:
        aid = _selected_id(self.view)
        if aid is None or self.actor is None:
            self.status.setText(_("请先选择一次评估。"))
            return
        reason, ok = QInputDialog.getText(self, _("更正"), _("更正原因："))
        if ok:
            self.amend(aid, reason)

    def amend(self, aid: int, reason: str) -> None:
        """Start a correction of an approved assessment (a new version; a second supervisor approves it)."""
        try:
            record, _changes = self.service.amend(self.actor, aid, reason)  # type: ignore[arg-type]
        except LtcError as exc:
            self.status.setText(str(exc))
            return
        self.model.refresh(self.service.history(record.subject_id))
        self.status.setText(
            _("已建立更正版本 {version}（评估 {id}），已退回评估员修改").format(version=record.version_no, id=record.id)
        )

    def export_report(self, aid: int, target: Path) -> None:
        """Render (or fetch the signed) report off the GUI thread with its own connection, then save it."""
        self.export_button.setEnabled(False)
        self.status.setText(_("正在生成报告…"))

        def saved(pdf: bytes) -> None:
            target.write_bytes(pdf)
            self.export_button.setEnabled(True)
            self.status.setText(_("已导出：{path}").format(path=target))

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            self.status.setText(str(exc))

        run_with_service(self.service, lambda own: own.report_pdf(aid), saved, failed)


class RegisterDialog(QDialog):
    """Register a person. Sex and birth date follow from a valid ID number; a refused entry keeps what was typed."""

    def __init__(self, service: AssessmentService, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.actor = service, actor
        self.subject: Subject | None = None
        self.setWindowTitle(_("登记评估对象"))
        form = QFormLayout(self)
        self.fields = {k: QLineEdit() for k in ("name", "id_number", "phone", "district", "address", "insurance_no")}
        self.sex = QComboBox()
        self.sex.addItem(_("女"), "female")
        self.sex.addItem(_("男"), "male")
        self.derived = QLabel("")
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#b91c1c;")
        self.labels = labels = {
            "name": _("姓名"),
            "id_number": _("公民身份号码"),
            "phone": _("电话"),
            "district": _("区域"),
            "address": _("住址"),
            "insurance_no": _("参保号"),
        }
        # 18 digits, fully visible, and room for an error said in words (it wraps)
        self.fields["id_number"].setMinimumWidth(self.fields["id_number"].fontMetrics().horizontalAdvance("0" * 24))
        self.setMinimumWidth(520)
        form.addRow(labels["name"], self.fields["name"])
        form.addRow(labels["id_number"], self.fields["id_number"])
        form.addRow("", self.derived)
        form.addRow(_("性别"), self.sex)
        for key in ("phone", "district", "address", "insurance_no"):
            form.addRow(labels[key], self.fields[key])
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.fields["id_number"].textChanged.connect(self._id_changed)
        self.sex.currentIndexChanged.connect(lambda _i: self._show_derived())

    def _number(self) -> str | None:
        """The ID number typed, if it is complete and valid."""
        try:
            return idnumber.validate(self.fields["id_number"].text())
        except LtcError:
            return None

    def _id_changed(self, _text: str) -> None:
        """A complete, valid number sets the sex it encodes (GB 11643: the 17th digit is odd for men)."""
        number = self._number()
        if number is not None:
            self.sex.setCurrentIndex(self.sex.findData(idnumber.sex(number)))
        self._show_derived()

    def _show_derived(self) -> None:
        """The birth date the number encodes, and a note when the sex chosen contradicts it."""
        number = self._number()
        if number is None:
            self.derived.setText("")
            return
        note = "" if self.sex.currentData() == idnumber.sex(number) else _("（所选性别与身份证号不一致，请核对）")
        self.derived.setText(_("出生日期 {date}").format(date=idnumber.birth_date(number).isoformat()) + note)

    def values(self) -> dict[str, Any]:
        out = {k: f.text().strip() or None for k, f in self.fields.items()}
        out["sex"] = self.sex.currentData()
        return out

    def accept(self) -> None:
        values = self.values()
        missing = [self.labels[k] for k in ("name", "id_number") if not values[k]]
        if missing:
            self.error.setText(_("请填写{fields}").format(fields=_("、").join(missing)))
            return
        try:
            self.subject, _changes = self.service.register_subject(self.actor, **values)
        except LtcError as exc:  # in words: the field by its label, not the internal name (id_number: …)
            label = self.labels.get(exc.where or "")
            named = exc.message
            if label is not None and label not in exc.message:
                named = _("{label}：{value}").format(label=label, value=exc.message)
            self.error.setText(f"{named} [{exc.code.value}]")  # the dialog stays open with everything typed
            return
        super().accept()


class NewAssessmentDialog(QDialog):
    """Form version (default: the newest), reason, second assessor, information provider."""

    def __init__(
        self, service: AssessmentService, actor: User, subject: Subject, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("新建评估：{name}").format(name=subject.name))
        form = QFormLayout(self)
        self.form_box = QComboBox()
        newest = {}
        for f in installed_forms():
            newest[f.form] = f
        for f in sorted(newest.values(), key=lambda f: f.form != "gbt42195-2022"):
            note = _("（暂行）") if f.status == "provisional" else ""
            self.form_box.addItem(f"{f.title.get(language())} · {f.standard.get(language())}{note}", f.ref)
        self.reason = QComboBox()
        for code in REASONS:
            self.reason.addItem(_(REASON_LABELS[code]), code)
        self.second = QComboBox()
        self.second.addItem(_("（稍后指定）"), None)
        for u in service.users(role=Role.ASSESSOR):
            if u.id != actor.id and not u.disabled:
                self.second.addItem(u.display_name, u.id)
        self.informant = QLineEdit()
        self.place = QLineEdit()
        form.addRow(_("表单版本"), self.form_box)
        form.addRow(_("评估原因"), self.reason)
        form.addRow(_("第二评估员"), self.second)
        form.addRow(_("信息提供者"), self.informant)
        form.addRow(_("评估地点"), self.place)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def request(self, subject_id: int) -> NewAssessment:
        return NewAssessment(
            subject_id=subject_id,
            form=self.form_box.currentData(),
            reason=self.reason.currentData(),
            assessor2_id=self.second.currentData(),
            informant_name=self.informant.text() or None,
            place=self.place.text() or None,
        )


class MainWindow(QMainWindow):
    """The workstation's home.

    Signals:
        language_changed: the user switched language; the app rebuilds its windows. args: language code
        log_out: the user logs out so that another can log in (one laptop, two assessors, a supervisor)
    """

    language_changed = Signal(str)
    log_out = Signal()

    def __init__(self, service: AssessmentService, actor: User) -> None:
        super().__init__()
        self.service, self.actor = service, actor
        self.wizards: list[WizardWindow] = []
        self.setWindowTitle(
            _("长期护理需求评估工作站 — {name}（{role}）").format(
                name=actor.display_name,
                role=_(ROLE_LABELS[actor.role]),
            )
        )
        self.resize(1100, 700)
        self.setStyleSheet(FOCUS_STYLE)  # dialogs opened from here inherit it
        account = self.menuBar().addMenu(_("账户"))
        account.addAction(_("注销 / 切换用户…"), self.log_out.emit)
        menu = self.menuBar().addMenu(_("语言 / Language"))
        for code, label in LANGUAGES.items():
            action = QAction(label, self)
            action.setCheckable(True)
            action.setChecked(code == language())  # the menu shows which one is in use
            action.triggered.connect(lambda _c=False, c=code: self._switch_language(c))
            menu.addAction(action)
        self.exchange = Exchange(self, service, actor, self._exchange_done)
        if actor.role in (Role.ASSESSOR, Role.SUPERVISOR):
            data = self.menuBar().addMenu(_("数据交换"))
            actions = [
                (_("导出数据包（交给办公室/评估员）…"), self.exchange.ask_export_bundle),
                (_("导入数据包…"), self.exchange.ask_import_bundle),
            ]
            if actor.role == Role.SUPERVISOR:
                actions.append((_("导出保险机构数据包…"), self.exchange.ask_export_insurer))
            for text, slot in actions:
                action = QAction(text, self)
                action.triggered.connect(slot)
                data.addAction(action)
        self.tabs = QTabWidget()
        self.setCentralWidget(self.tabs)
        self._build_register()
        self._build_work()
        if actor.role == Role.SUPERVISOR:
            self._build_review()
            self.conflicts = ConflictsPanel(service, actor)
            self.tabs.addTab(self.conflicts, _("冲突"))
        self.due: DuePanel | None = None
        if city_policy(service.store) is not None:  # the due list exists only under a city policy
            self.due = DuePanel(service, actor)
            self.tabs.addTab(self.due, _("到期提醒"))
        self.refresh()

    # --- tabs ---------------------------------------------------------------------------------------

    def _build_register(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("按姓名、身份证号后几位或电话搜索"))
        self.search.textChanged.connect(self._on_search)
        row.addWidget(self.search)
        buttons = []
        for text, slot, keys in (
            (_("登记"), self._register, None),
            (_("查看"), self._open_subject, None),
            (_("新建评估"), self._new_assessment, QKeySequence("Ctrl+N")),
        ):
            native = "" if keys is None else keys.toString(QKeySequence.SequenceFormat.NativeText)
            button = QPushButton(f"{text} ({native})" if native else text)
            button.clicked.connect(slot)
            button.setEnabled(self.actor.role != Role.ADMIN or text == _("查看"))
            button.setAutoDefault(False)
            row.addWidget(button)
            buttons.append(button)
            if keys is not None and button.isEnabled():
                shortcut = QShortcut(keys, self)
                shortcut.activated.connect(slot)
        layout.addLayout(row)
        self.subjects = subject_model()
        self.subject_view = _table(self.subjects, Qt.SortOrder.AscendingOrder)
        self.subject_view.activated.connect(lambda _i: self._open_subject())  # Enter or double-click on a person
        self.search.returnPressed.connect(self._search_to_table)
        layout.addWidget(self.subject_view)
        # Tab: search -> people -> buttons (the table does not swallow Tab)
        QWidget.setTabOrder(self.search, self.subject_view)
        QWidget.setTabOrder(self.subject_view, buttons[0])
        for a, b in zip(buttons, buttons[1:], strict=False):
            QWidget.setTabOrder(a, b)
        self.tabs.addTab(page, _("评估对象"))

    def _build_work(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.work = assessment_model()
        self.work_view = _table(self.work)
        self.work_view.activated.connect(lambda _i: self._open_assessment())  # Enter or double-click
        self.work_view.clicked.connect(lambda _i: self._show_comments())
        top = QHBoxLayout()
        top.addWidget(QLabel(_("我参与的评估：草稿和被退回的继续填写，其余只读查看（双击或回车）")), 1)
        self.work_status = QComboBox()
        self.work_status.addItem(_("全部状态"), None)
        for code in ("draft", "returned", "submitted", "approved", "superseded"):
            self.work_status.addItem(_(STATUS_LABELS[code]), code)
        self.work_status.currentIndexChanged.connect(lambda _i: self.refresh())
        top.addWidget(self.work_status)
        view_button = QPushButton(_("只读查看"))
        view_button.clicked.connect(self._view_assessment)
        top.addWidget(view_button)
        layout.addLayout(top)
        layout.addWidget(self.work_view)
        self.comments = QTextBrowser()
        self.comments.setMaximumHeight(130)
        layout.addWidget(QLabel(_("审核意见")))
        layout.addWidget(self.comments)
        self.tabs.addTab(page, _("我的评估"))

    def _build_review(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        filters = QHBoxLayout()
        self.queue_form = QComboBox()
        self.queue_form.addItem(_("全部表单"), None)
        for form_id in sorted({f.form for f in installed_forms()}):
            self.queue_form.addItem(form_name(form_id), form_id)
        self.queue_status = QComboBox()
        for code in ("submitted", "returned", "approved"):
            self.queue_status.addItem(_(STATUS_LABELS[code]), code)
        self.queue_assessor = QComboBox()
        self.queue_assessor.addItem(_("全部评估员"), None)
        for user in self.service.users(role=Role.ASSESSOR):
            self.queue_assessor.addItem(user.display_name, user.id)
        self.queue_level = QComboBox()
        self.queue_level.addItem(_("全部等级"), None)
        for code in range(6):
            self.queue_level.addItem(str(code), code)
        self.queue_district = QLineEdit()
        self.queue_district.setPlaceholderText(_("区域"))
        self.queue_from = QLineEdit()
        self.queue_from.setPlaceholderText(_("起始日期"))
        self.queue_to = QLineEdit()
        self.queue_to.setPlaceholderText(_("截止日期"))
        for box in (self.queue_form, self.queue_status, self.queue_assessor, self.queue_level):
            box.currentIndexChanged.connect(lambda _i: self.refresh())
        for edit in (self.queue_district, self.queue_from, self.queue_to):
            edit.editingFinished.connect(self.refresh)
        for widget in (
            QLabel(_("筛选")),
            self.queue_status,
            self.queue_form,
            self.queue_assessor,
            self.queue_level,
            self.queue_district,
            self.queue_from,
            self.queue_to,
        ):
            filters.addWidget(widget)
        filters.addStretch()
        layout.addLayout(filters)
        self.queue = assessment_model()
        self.queue_view = _table(self.queue)
        self.queue_view.doubleClicked.connect(lambda _i: self._review())
        layout.addWidget(self.queue_view)
        row = QHBoxLayout()
        review = QPushButton(_("审核…"))
        review.clicked.connect(self._review)
        row.addWidget(review)
        row.addStretch()
        layout.addLayout(row)
        self.tabs.addTab(page, _("审核队列"))

    def refresh(self) -> None:
        self.subjects.refresh([_subject_row(s) for s in self.service.search_subjects(self.search.text())])
        if self.due is not None:
            self.due.refresh()
        self.work.refresh(
            self.service.my_work(self.actor, self.work_status.currentData()) if self.actor.role == Role.ASSESSOR else []
        )
        if self.actor.role == Role.SUPERVISOR:
            self.queue.refresh(
                self.service.review_queue(
                    self.actor,
                    status=self.queue_status.currentData(),
                    form_id=self.queue_form.currentData(),
                    district=self.queue_district.text().strip() or None,
                    assessor_id=self.queue_assessor.currentData(),
                    level=self.queue_level.currentData(),
                    date_from=self.queue_from.text().strip() or None,
                    date_to=self.queue_to.text().strip() or None,
                )
            )

    # --- actions ------------------------------------------------------------------------------------

    def _search_to_table(self) -> None:
        """Enter in the search field goes to the people found, the first one selected."""
        if self.subjects.rowCount():
            self.subject_view.setFocus()
            self.subject_view.selectRow(0)

    def _on_search(self, text: str) -> None:
        self.subjects.refresh([_subject_row(s) for s in self.service.search_subjects(text)])

    def _error(self, exc: LtcError) -> None:
        QMessageBox.warning(self, _("操作未完成"), str(exc))

    def _register(self) -> None:
        if RegisterDialog(self.service, self.actor, self).exec() == QDialog.DialogCode.Accepted:
            self.refresh()

    def _open_subject(self) -> None:
        sid = _selected_id(self.subject_view)
        if sid is not None:
            SubjectDialog(self.service, self.service.subject(sid), self, self.actor).exec()

    def _new_assessment(self) -> None:
        sid = _selected_id(self.subject_view)
        if sid is None:
            QMessageBox.information(self, _("新建评估"), _("请先在列表中选择评估对象。"))
            return
        dialog = NewAssessmentDialog(self.service, self.actor, self.service.subject(sid), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            record, _changes = self.service.start_assessment(self.actor, dialog.request(sid))
        except LtcError as exc:
            self._error(exc)
            return
        self.open_wizard(record.id)
        self.refresh()

    def open_wizard(self, aid: int) -> WizardWindow:
        """The assessment's wizard; one already open is brought forward (two would hold diverging answers)."""
        for wizard in self.wizards:
            if wizard.aid == aid and wizard.isVisible():
                wizard.raise_()
                wizard.activateWindow()
                return wizard
        wizard = WizardWindow(self.service, self.actor, aid)
        wizard.submitted.connect(self._submitted)
        self.wizards.append(wizard)
        wizard.show()
        return wizard

    def _submitted(self, aid: int) -> None:
        self.refresh()
        self.statusBar().showMessage(_("评估 {id} 已提交，等待审核").format(id=aid))

    def _open_assessment(self) -> None:
        """A draft or returned assessment opens for editing; any other for reading."""
        aid = _selected_id(self.work_view)
        if aid is None:
            return
        if self.service.assessment(aid).status in (Status.DRAFT, Status.RETURNED):
            self.open_wizard(aid)
        else:
            self.view_assessment(aid)

    def _view_assessment(self) -> None:
        aid = _selected_id(self.work_view)
        if aid is not None:
            self.view_assessment(aid)

    def view_assessment(self, aid: int) -> None:
        """The read-only view (answers, scores, signatures, comments, history) of any status."""
        try:
            dialog = AssessmentViewDialog(self.service, self.actor, aid, self)
        except LtcError as exc:
            self._error(exc)
            return
        dialog.exec()

    def _show_comments(self) -> None:
        aid = _selected_id(self.work_view)
        comments = self.service.comments(aid) if aid is not None else []
        self.comments.setPlainText("\n".join(comment_line(c) for c in comments))

    def _review(self) -> None:
        aid = _selected_id(self.queue_view)
        if aid is not None:
            ReviewDialog(self.service, self.actor, aid, self).exec()
            self.refresh()

    def _exchange_done(self, message: str) -> None:
        self.statusBar().showMessage(message)
        self.refresh()
        if self.actor.role == Role.SUPERVISOR:
            self.conflicts.refresh()

    def _switch_language(self, code: str) -> None:
        use_language(code)
        remember_language(code)
        self.language_changed.emit(code)
