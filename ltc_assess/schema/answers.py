"""Checking one answer against its item: the single place that decides what a valid value is.

Used by the scoring engine (whole answer sets), the wizard session (one edit at a time) and storage
imports, so every entry point rejects the same values with the same message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from ltc_assess.errors import AnswerError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.schema.model import (
    AnyItem,
    ComputedItem,
    DateItem,
    FormDef,
    GroupItem,
    MultiChoiceItem,
    NumberItem,
    SignatureItem,
    SingleChoiceItem,
    TextItem,
)

Checker = Callable[[Any], None]


def _fmt(values: Any) -> str:
    return ", ".join(str(v) for v in values)


def _bad(item_id: str, message: str) -> AnswerError:
    return AnswerError(ErrorCode.ANSWER_VALUE, message, item=item_id)


def _allowed(allowed: set[tuple[type, Any]], value: Any) -> bool:
    """Whether ``value`` is one of the choices (a list or object from JSON never is, and cannot be hashed)."""
    return not isinstance(value, list | dict) and (type(value), value) in allowed


def _single(item: SingleChoiceItem, item_id: str) -> Checker:
    values = [c.value for c in item.choices]
    allowed = {(type(v), v) for v in values}
    shown = _fmt(sorted(values, key=str) if not all(isinstance(v, int) for v in values) else sorted(values))

    def check(value: Any) -> None:
        if not _allowed(allowed, value):
            raise _bad(item_id, _("值 {value!r} 不允许；允许的值：{shown}").format(value=value, shown=shown))

    return check


def _multi(item: MultiChoiceItem, item_id: str) -> Checker:
    values = [c.value for c in item.choices]
    allowed = {(type(v), v) for v in values}
    exclusive = {c.value for c in item.choices if c.exclusive}

    def check(value: Any) -> None:
        if not isinstance(value, list | tuple):
            raise _bad(item_id, _("应为选项列表，实际为 {value!r}").format(value=value))
        for v in value:
            if not _allowed(allowed, v):
                raise _bad(item_id, _("值 {value!r} 不允许；允许的值：{allowed}").format(value=v, allowed=_fmt(values)))
        if len(set(value)) != len(value):
            raise _bad(item_id, _("同一选项列出了两次"))
        chosen_exclusive = exclusive.intersection(value)
        if chosen_exclusive and len(value) > 1:
            raise _bad(
                item_id, _("{value} 不能与其他选项同时选择").format(value=_fmt(sorted(chosen_exclusive, key=str)))
            )

    return check


def _number(item: NumberItem, item_id: str) -> Checker:
    def check(value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(item_id, _("应为数字，实际为 {value!r}").format(value=value))
        if item.min is not None and value < item.min or item.max is not None and value > item.max:
            raise _bad(
                item_id, _("值 {value} 超出 {min:g}–{max:g} 范围").format(value=value, min=item.min, max=item.max)
            )
        if item.decimals == 0 and isinstance(value, float) and not value.is_integer():
            raise _bad(item_id, _("值 {value} 必须是整数").format(value=value))

    return check


def _text(item: TextItem, item_id: str) -> Checker:
    pattern = re.compile(item.pattern) if item.pattern else None

    def check(value: Any) -> None:
        if not isinstance(value, str):
            raise _bad(item_id, _("应为文本，实际为 {value!r}").format(value=value))
        if len(value) > item.max_length:
            raise _bad(item_id, _("文本超过 {max_length} 个字符").format(max_length=item.max_length))
        if pattern and value and not pattern.fullmatch(value):
            raise _bad(item_id, _("文本 {value!r} 格式不符").format(value=value))

    return check


def _date(_item: DateItem, item_id: str) -> Checker:
    def check(value: Any) -> None:
        try:
            dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise _bad(item_id, _("应为 YYYY-MM-DD 格式的日期，实际为 {value!r}").format(value=value)) from None

    return check


def _signature(_item: SignatureItem, item_id: str) -> Checker:
    def check(value: Any) -> None:
        if not isinstance(value, str) or not value:
            raise _bad(item_id, _("应为签名引用（非空文本）"))

    return check


def _computed(_item: ComputedItem, item_id: str) -> Checker:
    def check(value: Any) -> None:
        raise _bad(item_id, _("该条目由表单计算得出，不能填写"))

    return check


def _group(item: GroupItem, item_id: str) -> Checker:
    fields = {f.id: checker_for(f, f"{item_id}[].{f.id}") for f in item.fields}

    def check(value: Any) -> None:
        if not isinstance(value, list | tuple):
            raise _bad(item_id, _("应为行列表，实际为 {value!r}").format(value=value))
        if len(value) > item.max_rows:
            raise _bad(item_id, _("最多 {max_rows} 行").format(max_rows=item.max_rows))
        for n, row in enumerate(value, 1):
            if not isinstance(row, dict):
                raise _bad(item_id, _("第 {n} 行必须是字段值对象").format(n=n))
            for key, cell in row.items():
                if key not in fields:
                    raise _bad(
                        item_id,
                        _("第 {n} 行：字段 {key!r} 不存在；可用字段：{fields}").format(
                            n=n, key=key, fields=_fmt(fields)
                        ),
                    )
                if cell is not None:
                    fields[key](cell)

    return check


_CHECKERS: dict[type, Callable[[Any, str], Checker]] = {
    SingleChoiceItem: _single,
    MultiChoiceItem: _multi,
    NumberItem: _number,
    TextItem: _text,
    DateItem: _date,
    SignatureItem: _signature,
    ComputedItem: _computed,
    GroupItem: _group,
}


def checker_for(item: AnyItem, item_id: str | None = None) -> Checker:
    """A function that raises AnswerError (naming the item) when a value does not fit ``item``."""
    return _CHECKERS[type(item)](item, item_id or item.id)


def checkers(form: FormDef) -> dict[str, Checker]:
    """One checker per item of the form."""
    return {item_id: checker_for(item) for item_id, item in form.items.items()}


def check_answer(form: FormDef, item_id: str, value: Any) -> None:
    """Raise AnswerError if ``item_id`` is unknown or ``value`` does not fit it (``None`` clears)."""
    item = form.items.get(item_id)
    if item is None:
        raise AnswerError(
            ErrorCode.ANSWER_UNKNOWN,
            _("表单 {ref} 中没有条目 {item_id!r}").format(item_id=item_id, ref=form.ref),
            item=item_id,
        )
    if value is not None:
        checker_for(item)(value)


def default_answers(form: FormDef) -> dict[str, Any]:
    """Values assumed for unanswered items where the standard says absence means 无 (e.g. risk events)."""
    out: dict[str, Any] = {}
    for item_id, item in form.items.items():
        default = getattr(item, "default", None)
        if default is not None:
            out[item_id] = list(default) if isinstance(default, tuple) else default
    return out


def evaluation_env(form: FormDef, answers: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The names expressions see: defaults, then the given answers, then computed items in form order."""
    env = dict(default_answers(form) if defaults is None else defaults)
    env.update((k, v) for k, v in answers.items() if v is not None)
    for item_id, item in form.items.items():
        if isinstance(item, ComputedItem):
            env[item_id] = item.expression(env)
    return env
