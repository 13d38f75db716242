"""Care advice as data: ``policies/advice/<form-id>.yaml``, keyed by dimension × grade and by item answer.

The advice is generated from a result, then reviewed and edited by the assessor before submission; it prints
in the report (照护建议) and in the 告知书. Device suggestions are named per line (南通's assistive-device rental).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ltc_assess import paths
from ltc_assess.errors import ErrorCode, FormError
from ltc_assess.i18n import _
from ltc_assess.policies.model import Source
from ltc_assess.policies.registry import read_model
from ltc_assess.schema.located import FormErrors, where


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DimensionAdvice(_Model):
    dimension: str
    grade: int = Field(ge=0)
    advice: str = Field(min_length=1)
    devices: tuple[str, ...] = ()


class ItemAdvice(_Model):
    """Advice when an item's answer (its score) is at most ``at_most``: falls, swallowing, wandering…"""

    item: str
    at_most: int
    topic: str = Field(min_length=1)
    advice: str = Field(min_length=1)
    devices: tuple[str, ...] = ()


class AdviceSet(_Model):
    form: str = Field(pattern=r"^[a-z0-9-]+$")
    verified: bool
    sources: tuple[Source, ...] = Field(min_length=1)
    dimensions: tuple[DimensionAdvice, ...] = ()
    items: tuple[ItemAdvice, ...] = ()


def advice_files(root: Path | None = None) -> list[Path]:
    return sorted((root or paths.policies_dir()).glob("advice/*.yaml"))


def load_advice(path: str | Path) -> AdviceSet:
    """Load one advice file; every dimension, grade and item must exist in the newest version of its form."""
    from ltc_assess.schema.registry import get_form

    advice, display, raw, _data = read_model(path, AdviceSet)
    problems: list[FormError] = []

    def add(at: tuple[str | int, ...], message: str) -> None:
        problems.append(FormError(ErrorCode.POLICY_SCHEMA, message, where(display, raw, at)))

    form = get_form(advice.form)
    dims = {d.id for d in form.scoring.dimensions}
    grades = {g.code for g in form.scoring.grades or ()}
    for i, d in enumerate(advice.dimensions):
        if d.dimension not in dims:
            add(
                ("dimensions", i, "dimension"),
                _("{ref} 中没有维度 {dimension!r}").format(ref=form.ref, dimension=d.dimension),
            )
        if d.grade not in grades:
            add(("dimensions", i, "grade"), _("{ref} 中没有分级 {grade}").format(ref=form.ref, grade=d.grade))
    for i, it in enumerate(advice.items):
        if it.item not in form.items:
            add(("items", i, "item"), _("{ref} 中没有条目 {item!r}").format(ref=form.ref, item=it.item))
    if Path(path).stem != advice.form:
        add(("form",), _("{form} 的照护建议必须保存为 advice/{form}.yaml").format(form=advice.form))
    if problems:
        raise FormErrors(problems)
    return advice


@cache
def advice_for(form_id: str) -> AdviceSet | None:
    path = paths.policies_dir() / "advice" / f"{form_id}.yaml"
    return load_advice(path) if path.exists() else None


def generate(form_id: str, score: dict[str, Any] | None, answers: dict[str, Any]) -> list[str]:
    """Advice lines for a result: one per graded dimension that has a template, then one per item rule met.

    Each line reads ``topic：advice（建议辅具：a、b）``, the text the assessor then edits.
    """
    advice = advice_for(form_id)
    if advice is None or not score:
        return []
    lines = []
    for dim_id, dim in (score.get("dimensions") or {}).items():
        grade = (dim.get("grade") or {}).get("code")
        for d in advice.dimensions:
            if d.dimension == dim_id and d.grade == grade:
                lines.append(_line(_label(form_id, dim_id), d.advice, d.devices))
    for it in advice.items:
        value = answers.get(it.item)
        if isinstance(value, int) and value <= it.at_most:
            lines.append(_line(it.topic, it.advice, it.devices))
    return lines


def _label(form_id: str, dim_id: str) -> str:
    from ltc_assess.schema.registry import get_form

    return next(d.label.zh_CN for d in get_form(form_id).scoring.dimensions if d.id == dim_id)


def _line(topic: str, advice: str, devices: tuple[str, ...]) -> str:
    return f"{topic}：{advice}" + (f"（建议辅具：{'、'.join(devices)}）" if devices else "")
