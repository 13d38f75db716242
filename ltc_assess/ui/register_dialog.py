"""Register a person (the people tab's 登记): the ID number read as it is typed, errors said in words."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QWidget

from ltc_assess import idnumber
from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import Subject, User
from ltc_assess.ui.form_dialog import add_ok_cancel


class RegisterDialog(QDialog):
    """Register a person. Sex and birth date follow from a valid ID number; a refused entry keeps what was typed.

    Signals:
        changed: the person was registered. args: the ``Changes``
    """

    changed = Signal(object)

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
        add_ok_cancel(self, form)
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
            self.subject, changes = self.service.register_subject(self.actor, **values)
        except LtcError as exc:  # in words: the field by its label, not the internal name (id_number: …)
            label = self.labels.get(exc.where or "")
            named = exc.message
            if label is not None and label not in exc.message:
                named = _("{label}：{value}").format(label=label, value=exc.message)
            self.error.setText(f"{named} [{exc.code.value}]")  # the dialog stays open with everything typed
            return
        self.changed.emit(changes)
        super().accept()
