"""The live score beside the card: dimension scores, the proposed level and the explanation, in the UI language."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from ltc_assess.i18n import _, language, say
from ltc_assess.schema.model import FormDef
from ltc_assess.scoring import ScoreResult


class ScorePanel(QWidget):
    """Dimension scores, the proposed level and the plain-language explanation, updated live."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.title = QLabel(_("实时评分"))
        self.title.setStyleSheet("font-size:15px;font-weight:bold;")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color:#b91c1c;")
        self.dims = QLabel("")
        self.dims.setWordWrap(True)
        self.level = QLabel("")
        self.level.setWordWrap(True)
        self.level.setStyleSheet("font-size:16px;color:#1d4ed8;font-weight:bold;")
        self.provisional = QLabel("")
        self.provisional.setWordWrap(True)
        self.provisional.setStyleSheet("color:#b45309;font-weight:bold;")
        self.explain = QTextBrowser()
        for w in (
            self.title,
            self.status,
            self.dims,
            self.level,
            self.provisional,
            QLabel(_("评分说明")),
            self.explain,
        ):
            layout.addWidget(w)

    def show_result(self, result: ScoreResult, status_note: str | None, form: FormDef) -> None:
        """The result in the UI language: labels and names come from the form (the engine's are Chinese)."""
        lang = language()
        labels = {d.id: d.label.get(lang) for d in form.scoring.dimensions}
        grades = {g.code: g.name.get(lang) for g in form.scoring.grades or ()}
        levels = {lv.code: lv.name.get(lang) for lv in form.scoring.levels}
        self.status.setText(status_note or "")
        lines = []
        for d in result.dimensions:
            grade = None if d.grade is None else grades.get(d.grade, d.grade_name)
            if d.max is None:  # graded only: its items have no meaningful sum (MZ/T 感知觉与沟通)
                shown = grade or "—"
            else:
                shown = f"{d.score if d.score is not None else f'{d.partial_sum}…'}/{d.max}"
                shown = _("{text}（{detail}）").format(text=shown, detail=grade) if grade else shown
            line = _("{label}：{value}").format(label=labels.get(d.id, d.label), value=shown)
            lines.append(f"{line}  [{d.answered}/{d.item_count}]")
        if result.total is not None:
            lines.append(_("总分：{total}").format(total=result.total))
        self.dims.setText("\n".join(lines))
        if result.final_level is None:
            self.level.setText(_("建议等级：尚未完成"))
        elif result.provisional_level:
            self.level.setText(
                _("建议等级（暂定）：{code} {name}").format(code=result.final_level, name=levels[result.final_level])
            )
        else:
            self.level.setText(
                _("建议等级：{code} {name}").format(code=result.final_level, name=levels[result.final_level])
            )
        blank = result.blank_rule_inputs if result.final_level is not None else None  # no level: nothing provisional
        self.provisional.setText(
            _("等级为暂定：{items} 未填写，暂按“无”计算；填写后方可确定（可能提高等级）。").format(
                items=_("、").join(blank.items)
            )
            if blank
            else ""
        )
        self.provisional.setVisible(blank is not None)
        explanation = "\n".join("· " + say(t.says) for t in result.trace)
        if explanation != self.explain.toPlainText():  # laying the text out again costs a keystroke milliseconds
            self.explain.setPlainText(explanation)
