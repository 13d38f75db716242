"""The read-only view of one assessment (any status): answers, scores and explanation, signatures, comments and
status history. Nothing here changes the record; Esc closes it."""

from __future__ import annotations

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.assessment_view import REPORT_SIGNERS, AssessmentView, assessment_view
from ltc_assess.i18n import _, language
from ltc_assess.scoring.explain import stored_explanation
from ltc_assess.service import SIGNER_LABELS, AssessmentService, ReviewView
from ltc_assess.storage.records import User
from ltc_assess.ui.review import answers_table, comment_line, detailed, local_time
from ltc_assess.workflow import STATUS_LABELS


def _level(view: AssessmentView, code: int | None) -> str:
    names = {lv.code: lv.name.get(language()) for lv in view.form.scoring.levels}
    return "—" if code is None else f"{code} {names.get(code, '')}"


class AssessmentViewDialog(QDialog):
    """Look at an assessment without exporting a PDF.

    Raises:
        AppError: the actor may not see it (see ``assessment_view``).
    """

    def __init__(self, service: AssessmentService, actor: User, aid: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        view = assessment_view(service, actor, aid)
        record, lang = view.record, language()
        self.setWindowTitle(
            _("查看：{name} · {form}（评估 {id}，只读）").format(
                name=view.subject.name, form=view.form.title.get(lang), id=aid
            )
        )
        self.resize(1000, 680)
        layout = QVBoxLayout(self)
        self.summary = QLabel(
            _("状态：{status}　评估日期：{date}　建议等级：{proposed}　核定等级：{decided}").format(
                status=_(STATUS_LABELS.get(record.status, record.status)),
                date=record.assessment_date,
                proposed=_level(view, record.proposed_level),
                decided=_level(view, record.decided_level),
            )
        )
        self.summary.setStyleSheet("font-weight:bold;")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.answers = answers_table(ReviewView(record, None, (), ()), view.form, lang)
        self.tabs.addTab(self.answers, _("答案"))
        self.scores = QTextBrowser()
        self.scores.setPlainText(self._scores_text(view))
        self.tabs.addTab(self.scores, _("评分与说明"))
        self.tabs.addTab(self._signatures(view), _("签名"))
        self.history = QTextBrowser()
        self.history.setPlainText(self._history_text(view))
        self.tabs.addTab(self.history, _("审核意见与状态记录"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @staticmethod
    def _scores_text(view: AssessmentView) -> str:
        score, lang = view.record.score or {}, language()
        grades = {g.code: g.name.get(lang) for g in view.form.scoring.grades or ()}
        lines = []
        for dim in view.form.scoring.dimensions:
            got = (score.get("dimensions") or {}).get(dim.id) or {}
            grade = got.get("grade") or {}
            shown = "—" if got.get("score") is None else f"{got['score']}/{got.get('max')}"
            if grade:
                shown = detailed(shown, grades.get(int(grade.get("code", -1)), grade.get("name")))
            lines.append(_("{label}：{value}").format(label=dim.label.get(lang), value=shown))
        if score.get("total") is not None:
            lines.append(_("总分：{total}").format(total=score["total"]))
        warnings, trace = stored_explanation(view.form, view.record.answers, score, lang)
        lines += ["⚠ " + w for w in warnings]
        lines += ["", _("评分说明")] + ["· " + t for t in trace]
        return "\n".join(lines)

    @staticmethod
    def _signatures(view: AssessmentView) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        for row, (role, label) in enumerate(SIGNER_LABELS.items()):
            grid.addWidget(QLabel(_(label)), row, 0)
            image = QLabel()
            png = view.signatures.get(role)
            if png:
                pixmap = QPixmap()
                pixmap.loadFromData(png, "PNG")
                image.setPixmap(pixmap.scaledToHeight(70))
            else:
                image.setText(_("未签名"))
            grid.addWidget(image, row, 1)
        signers = _("、").join(_(REPORT_SIGNERS.get(r, r)) for r in view.signed_reports) or _("无")
        grid.addWidget(
            QLabel(_("报告电子签名（PAdES）：{signers}").format(signers=signers)), len(SIGNER_LABELS), 0, 1, 2
        )
        grid.setRowStretch(len(SIGNER_LABELS) + 1, 1)
        return page

    @staticmethod
    def _history_text(view: AssessmentView) -> str:
        lines = [detailed(f"{local_time(e.at)}  {e.what}  {e.who}", e.note) for e in view.history]
        if view.comments:
            lines += ["", _("审核意见")]
            lines += [comment_line(c) for c in view.comments]
        return "\n".join(lines)
