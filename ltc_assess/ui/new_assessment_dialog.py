"""Start an assessment of a person: form version, reason, second assessor, information provider, place."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLineEdit, QWidget

from ltc_assess.i18n import _, language
from ltc_assess.report.wording import REASON_LABELS
from ltc_assess.schema.model import FormDef
from ltc_assess.service import REASONS, NewAssessment
from ltc_assess.storage.records import Subject, User
from ltc_assess.ui.form_dialog import add_ok_cancel, add_rows


def offered_forms(installed: Sequence[FormDef], first: Sequence[str]) -> list[FormDef]:
    """The newest version of each installed form, final before provisional; the forms named in ``first`` lead
    in that order (``id``, or ``id@N`` for that very version: the one a city policy prescribes)."""
    offered = {f.form: f for f in sorted(installed, key=lambda f: f.version)}
    for ref in first:
        offered.update({f.form: f for f in installed if f.ref == ref})
    rank = {ref.partition("@")[0]: n for n, ref in reversed(list(enumerate(first)))}
    return sorted(offered.values(), key=lambda f: (rank.get(f.form, len(first)), f.status != "final"))


class NewAssessmentDialog(QDialog):
    """The choices of a new assessment; the first of ``forms`` is preselected.

    Args:
        forms: the form versions to offer, in order (see ``offered_forms``).
        second_assessors: who may be the second assessor.
    """

    def __init__(
        self,
        subject: Subject,
        forms: Sequence[FormDef],
        second_assessors: Sequence[User],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("新建评估：{name}").format(name=subject.name))
        self.subject = subject
        form = QFormLayout(self)
        self.form_box = QComboBox()
        for f in forms:
            note = _("（暂行）") if f.status == "provisional" else ""
            self.form_box.addItem(f"{f.title.get(language())} · {f.standard.get(language())}{note}", f.ref)
        self.reason = QComboBox()
        for code in REASONS:
            self.reason.addItem(_(REASON_LABELS[code]), code)
        self.second = QComboBox()
        self.second.addItem(_("（稍后指定）"), None)
        for u in second_assessors:
            self.second.addItem(u.display_name, u.id)
        self.informant = QLineEdit()
        self.place = QLineEdit()
        add_rows(
            form,
            [
                (_("表单版本"), self.form_box),
                (_("评估原因"), self.reason),
                (_("第二评估员"), self.second),
                (_("信息提供者"), self.informant),
                (_("评估地点"), self.place),
            ],
        )
        add_ok_cancel(self, form)

    def request(self) -> NewAssessment:
        """What was chosen, as the service's request."""
        return NewAssessment(
            subject_id=self.subject.id,
            form=self.form_box.currentData(),
            reason=self.reason.currentData(),
            assessor2_id=self.second.currentData(),
            informant_name=self.informant.text() or None,
            place=self.place.text() or None,
        )
