"""FormSession: where the assessor is in a form, what is visible, what is missing — without any UI.

The desktop wizard only renders what this object says (Electrum's AbstractWizard idea): relevance,
validation, completeness, navigation and the live score all live here, so they are testable headless
and identical in every front end.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from ltc_assess.errors import AnswerError, ErrorCode
from ltc_assess.i18n import _, language, say
from ltc_assess.schema.answers import check_answer, default_answers, evaluation_env
from ltc_assess.schema.model import AnyItem, ComputedItem, FormDef, MultiChoiceItem, Section, SignatureItem
from ltc_assess.schema.rule_inputs import rule_inputs
from ltc_assess.scoring import ScoreResult, score


@dataclass(frozen=True, slots=True)
class Issue:
    """Something to fix before submitting, attached to one item."""

    item_id: str
    section_id: str
    kind: str  # "required" | "constraint" | "value"
    message: str  # in the language current when the issue was found (``_()`` and the form's own wording)


@dataclass(frozen=True, slots=True)
class Progress:
    """How many required, visible items of a section are answered."""

    section_id: str
    answered: int
    required: int

    @property
    def done(self) -> bool:
        return self.answered >= self.required


class FormSession:
    """Navigation, relevance, validation and completeness over one answer set.

    Args:
        form: the form version being filled.
        answers: answers already saved (e.g. when resuming).
        current_item: the item to resume at (defaults to the first).
    """

    def __init__(self, form: FormDef, answers: Mapping[str, Any] | None = None, current_item: str | None = None):
        self.form = form
        self._defaults = default_answers(form)
        self._answers: dict[str, Any] = {k: v for k, v in (answers or {}).items() if v is not None}
        self._section_of = {item.id: s.id for s in form.sections for item in s.items}
        self._env = evaluation_env(form, self._answers, self._defaults)
        self.rule_inputs = frozenset(rule_inputs(form))
        first = self.visible_items(self.sections[0])
        self.current_item = current_item if current_item in self._section_of else (first[0].id if first else None)

    # --- answers -----------------------------------------------------------------------------------

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self._answers)

    def value(self, item_id: str) -> Any:
        return self._answers.get(item_id)

    def computed_value(self, item_id: str) -> Any:
        """Current value of a computed item (e.g. BMI)."""
        return self._env.get(item_id)

    def set_answer(self, item_id: str, value: Any) -> list[Issue]:
        """Check and record one answer (``None`` clears it); returns the item's remaining issues.

        Raises:
            AnswerError: the value does not fit the item at all (nothing is recorded).
        """
        check_answer(self.form, item_id, value)
        if value is None:
            self._answers.pop(item_id, None)
        else:
            self._answers[item_id] = value
        self._env = evaluation_env(self.form, self._answers, self._defaults)
        return self.item_issues(item_id)

    # --- relevance and validation ------------------------------------------------------------------

    @property
    def sections(self) -> tuple[Section, ...]:
        return self.form.sections

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def section_of(self, item_id: str) -> Section:
        return self.section(self._section_of[item_id])

    def is_visible(self, item: AnyItem) -> bool:
        return item.visible_if is None or bool(item.visible_if(self._env))

    def is_required(self, item: AnyItem) -> bool:
        """Required by the form, or read by a level rule (blank would silently count as 无)."""
        if isinstance(item, ComputedItem):
            return False
        if item.id in self.rule_inputs:
            return True
        if item.required_if is not None:
            return bool(item.required_if(self._env))
        return item.required

    def visible_items(self, section: Section) -> list[AnyItem]:
        return [item for item in section.items if self.is_visible(item)]

    def item_issues(self, item_id: str) -> list[Issue]:
        """Missing-but-required and failed-constraint issues of one item (none when hidden)."""
        item = self.form.items[item_id]
        if not self.is_visible(item):
            return []
        sid = self._section_of[item_id]
        if not self.is_answered(item_id):
            if not self.is_required(item):
                return []
            label = item.label.get(language())
            if item_id in self.rule_inputs:
                message = _("{label}：尚未填写（等级变更依据，没有请选“无”）").format(label=label)
            else:
                message = _("{label}：尚未填写").format(label=label)
            return [Issue(item_id, sid, "required", message)]
        if item.constraint is not None and not item.constraint.when(self._env):
            return [Issue(item_id, sid, "constraint", item.constraint.message.get(language()))]
        return []

    def is_answered(self, item_id: str) -> bool:
        """An explicit answer is stored; for a level rule's list input (A.4.1) an empty list is the answer 无."""
        value = self._answers.get(item_id)
        if value == []:
            return item_id in self.rule_inputs
        return value is not None and value != ""

    def validate(self, section: Section | None = None) -> list[Issue]:
        """Issues of one section, or of the whole form (the submit checklist), in form order."""
        sections = [section] if section is not None else list(self.sections)
        return [issue for s in sections for item in s.items for issue in self.item_issues(item.id)]

    def progress(self, signed: Collection[str] = ()) -> list[Progress]:
        """Per-section completion, for the side list.

        Signatures are stored apart from the answers: ``signed`` names the signature items already signed.
        Every signature is needed to submit, so a signature section is done only when all are signed.
        """
        out = []
        for s in self.sections:
            required = [i for i in self.visible_items(s) if isinstance(i, SignatureItem) or self.is_required(i)]
            answered = sum(
                1 for i in required if (i.id in signed if isinstance(i, SignatureItem) else self.is_answered(i.id))
            )
            out.append(Progress(s.id, answered, len(required)))
        return out

    def warnings_for(self, item_id: str, result: ScoreResult, lang: str = "zh_CN") -> list[str]:
        """Consistency warnings that name this item, in ``lang``."""
        return [say(w.says, lang) for w in result.warnings if item_id in w.items]

    # --- navigation --------------------------------------------------------------------------------

    def _visible_ids(self) -> list[str]:
        return [item.id for s in self.sections for item in self.visible_items(s)]

    def peek(self, step: int) -> str | None:
        """The item ``step`` visible items forward/back (clamped), without moving."""
        ids = self._visible_ids()
        if not ids:
            return None
        pos = ids.index(self.current_item) if self.current_item in ids else 0
        return ids[max(0, min(len(ids) - 1, pos + step))]

    def move(self, step: int) -> str | None:
        """Move the cursor ``step`` visible items forward/back (clamped); returns the new item id."""
        target = self.peek(step)
        if target is not None:
            self.current_item = target
        return target

    def move_section(self, step: int) -> str | None:
        """Jump into the next/previous section that has visible items: to its first unanswered required item
        (A.5.11 昏迷 before ten optional items), else its first item."""
        order = [s for s in self.sections if self.visible_items(s)]
        current = self._section_of.get(self.current_item or "", order[0].id)
        idx = next((n for n, s in enumerate(order) if s.id == current), 0)
        target = self.visible_items(order[max(0, min(len(order) - 1, idx + step))])
        self.current_item = next((i.id for i in target if self._open_required(i)), target[0].id)
        return self.current_item

    def _open_required(self, item: AnyItem, signed: Collection[str] = ()) -> bool:
        if isinstance(item, SignatureItem):
            return item.id not in signed
        return self.is_required(item) and not self.is_answered(item.id)

    def next_required(self, signed: Collection[str] = ()) -> str | None:
        """The next unanswered required item after the cursor, in form order, wrapping; None when all are done."""
        ids = [item for s in self.sections for item in self.visible_items(s)]
        pos = next((n for n, i in enumerate(ids) if i.id == self.current_item), -1)
        for item in ids[pos + 1 :] + ids[: pos + 1]:
            if self._open_required(item, signed):
                return item.id
        return None

    def none_answers(self, item_id: str) -> dict[str, Any]:
        """What the "none of these" key records from ``item_id``: {item: value}, empty when it does not apply.

        Items with a declared default (the standard's 无, e.g. the five A.2.14 risk events) form a group with
        their neighbours in the section that have one: each unanswered one, and this one, get their default.
        A multi-select without a default gets its exclusive 无 option, else the empty list.
        """
        item = self.form.items[item_id]
        section = self.visible_items(self.section_of(item_id))
        pos = next(n for n, i in enumerate(section) if i.id == item_id)
        has_default = [i.id in self._defaults for i in section]
        if has_default[pos]:
            start, end = pos, pos
            while start > 0 and has_default[start - 1]:
                start -= 1
            while end + 1 < len(section) and has_default[end + 1]:
                end += 1
            group = [i for i in section[start : end + 1] if i.id == item_id or not self.is_answered(i.id)]
            return {i.id: copy.copy(self._defaults[i.id]) for i in group}
        if isinstance(item, MultiChoiceItem):
            return {item_id: next(([c.value] for c in item.choices if c.exclusive), [])}
        return {}

    def goto(self, item_id: str) -> None:
        if item_id not in self._section_of:
            msg = _("表单 {ref} 中没有条目 {item_id!r}").format(item_id=item_id, ref=self.form.ref)
            raise AnswerError(ErrorCode.ANSWER_UNKNOWN, msg, item=item_id)
        self.current_item = item_id

    def is_last(self) -> bool:
        ids = self._visible_ids()
        return bool(ids) and self.current_item == ids[-1]

    # --- scoring -----------------------------------------------------------------------------------

    def live_score(self) -> ScoreResult:
        """The engine's result on the answers so far (missing items tolerated)."""
        return score(self.form, self._answers, partial=True)
