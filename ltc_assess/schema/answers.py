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


def _allowed(value: Any, allowed: set[tuple[type, Any]]) -> bool:
    """Whether ``value`` is one of the choices; a list or dict (unhashable) never is."""
    try:
        return (type(value), value) in allowed
    except TypeError:
        return False


def _single(item: SingleChoiceItem, item_id: str) -> Checker:
    values = [c.value for c in item.choices]
    allowed = {(type(v), v) for v in values}
    shown = _fmt(sorted(values, key=str) if not all(isinstance(v, int) for v in values) else sorted(values))

    def check(value: Any) -> None:
        if not _allowed(value, allowed):
            raise _bad(item_id, f"value {value!r} is not allowed; allowed values: {shown}")

    return check


def _multi(item: MultiChoiceItem, item_id: str) -> Checker:
    values = [c.value for c in item.choices]
    allowed = {(type(v), v) for v in values}
    exclusive = {c.value for c in item.choices if c.exclusive}

    def check(value: Any) -> None:
        if not isinstance(value, list | tuple):
            raise _bad(item_id, f"expected a list of choices, got {value!r}")
        for v in value:
            if not _allowed(v, allowed):
                raise _bad(item_id, f"value {v!r} is not allowed; allowed values: {_fmt(values)}")
        if len(set(value)) != len(value):
            raise _bad(item_id, "a choice is listed twice")
        chosen_exclusive = exclusive.intersection(value)
        if chosen_exclusive and len(value) > 1:
            raise _bad(item_id, f"{_fmt(sorted(chosen_exclusive, key=str))} cannot be combined with other choices")

    return check


def _number(item: NumberItem, item_id: str) -> Checker:
    def check(value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(item_id, f"expected a number, got {value!r}")
        if item.min is not None and value < item.min or item.max is not None and value > item.max:
            raise _bad(item_id, f"value {value} is outside {item.min:g}–{item.max:g}")
        if item.decimals == 0 and isinstance(value, float) and not value.is_integer():
            raise _bad(item_id, f"value {value} must be a whole number")

    return check


def _text(item: TextItem, item_id: str) -> Checker:
    pattern = re.compile(item.pattern) if item.pattern else None

    def check(value: Any) -> None:
        if not isinstance(value, str):
            raise _bad(item_id, f"expected text, got {value!r}")
        if len(value) > item.max_length:
            raise _bad(item_id, f"text is longer than {item.max_length} characters")
        if pattern and value and not pattern.fullmatch(value):
            raise _bad(item_id, f"text {value!r} does not have the expected format")

    return check


def _date(_item: DateItem, item_id: str) -> Checker:
    def check(value: Any) -> None:
        try:
            dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise _bad(item_id, f"expected a date as YYYY-MM-DD, got {value!r}") from None

    return check


def _signature(_item: SignatureItem, item_id: str) -> Checker:
    def check(value: Any) -> None:
        if not isinstance(value, str) or not value:
            raise _bad(item_id, "expected a signature reference (non-empty text)")

    return check


def _computed(_item: ComputedItem, item_id: str) -> Checker:
    def check(value: Any) -> None:
        raise _bad(item_id, "is computed by the form and cannot be answered")

    return check


def _group(item: GroupItem, item_id: str) -> Checker:
    fields = {f.id: checker_for(f, f"{item_id}[].{f.id}") for f in item.fields}

    def check(value: Any) -> None:
        if not isinstance(value, list | tuple):
            raise _bad(item_id, f"expected a list of rows, got {value!r}")
        if len(value) > item.max_rows:
            raise _bad(item_id, f"at most {item.max_rows} rows")
        for n, row in enumerate(value, 1):
            if not isinstance(row, dict):
                raise _bad(item_id, f"row {n} must be an object of field values")
            for key, cell in row.items():
                if key not in fields:
                    raise _bad(item_id, f"row {n}: unknown field {key!r}; fields: {_fmt(fields)}")
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
        raise AnswerError(ErrorCode.ANSWER_UNKNOWN, f"unknown item {item_id!r} in form {form.ref}", item=item_id)
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
