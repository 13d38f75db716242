"""ReportData: everything a report shows, built from the stored record and the engine's result (pure).

The renderer lays out only what is here, so the same facts reach every report layout and tests can
check the data without parsing a PDF.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ltc_assess.schema.model import (
    AnyItem,
    ChoiceItem,
    ComputedItem,
    FormDef,
    GroupItem,
    MultiChoiceItem,
    SignatureItem,
)

REASON_LABELS = {
    "first": "首次评估",
    "routine": "常规评估",
    "immediate": "即时评估",
    "review": "因对评估结果有疑问进行的复评",
    "other": "其他",
}
SEX_LABELS = {"male": "男", "female": "女"}


@dataclass(frozen=True, slots=True)
class Box:
    """A check box line: label and whether it is ticked."""

    label: str
    ticked: bool


@dataclass(frozen=True, slots=True)
class DimensionLine:
    label: str
    score: int | None
    max: int | None
    grade: str | None


@dataclass(frozen=True, slots=True)
class AnswerLine:
    section: str
    code: str
    label: str
    answer: str


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    date: str
    form: str
    level: int | None


@dataclass(frozen=True, slots=True)
class ReportData:
    """The facts of one assessment report."""

    report_id: str
    title: str
    standard: str
    form_ref: str
    form_sha256: str
    engine_version: str
    provisional: bool
    provisional_note: str | None
    status: str
    identity: tuple[tuple[str, str], ...]
    info: tuple[tuple[str, str], ...]
    dimensions: tuple[DimensionLine, ...]
    total: tuple[int, int] | None
    initial_levels: tuple[Box, ...]
    change_reasons: tuple[Box, ...]
    final_levels: tuple[Box, ...]
    matrix_note: str | None
    decision: str | None
    answers: tuple[AnswerLine, ...]
    explanation: tuple[str, ...]
    history: tuple[HistoryPoint, ...]
    level_count: int
    assessors: tuple[str, str]
    informant: str
    handwritten: dict[str, bytes] = field(default_factory=dict)
    qr_payload: str = ""
    care_advice: tuple[str, ...] = ()  # 照护建议 as the assessor reviewed it (ltc_assess.lifecycle)


def record_digest(record: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the attested facts (answers, score, form hash, engine, status)."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()


def answer_text(item: AnyItem, value: Any) -> str:
    """The option wording (or value) of an answer, as printed in the report."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(item, ChoiceItem):
        labels = {c.value: c.label.zh_CN for c in item.choices}
        values = value if isinstance(item, MultiChoiceItem) else [value]
        shown = [f"{v}：{labels.get(v, v)}" if isinstance(v, int) else str(labels.get(v, v)) for v in values]
        return "；".join(shown)
    if isinstance(item, GroupItem):
        return "；".join("，".join(str(v) for v in row.values() if v) for row in value)
    unit = getattr(item, "unit", None)
    return f"{value} {unit.zh_CN}" if unit else str(value)


def build_report_data(
    form: FormDef,
    score: dict[str, Any],
    record: dict[str, Any],
    subject: dict[str, Any],
    *,
    people: dict[int, str],
    history: list[dict[str, Any]] | None = None,
    handwritten: dict[str, bytes] | None = None,
) -> ReportData:
    """Assemble the report facts.

    Args:
        score: ``ScoreResult.to_dict()`` as stored with the record.
        record: the assessment's fields (id, answers, reason, dates, assessors, levels, decision...).
        subject: the person's fields (name, sex, birth_date, id_number).
        people: user id -> display name (assessors, decider).
        history: earlier assessments of the person (assessment_date, form_id, level).
    """
    answers = record.get("answers", {})
    levels = form.scoring.levels
    initial = (score.get("initial_level") or {}).get("code")
    final = (score.get("final_level") or {}).get("code")
    fired = {a["rule"] for a in score.get("adjustments", [])}
    dims = tuple(
        DimensionLine(
            d.label.zh_CN,
            score["dimensions"][d.id]["score"],
            score["dimensions"][d.id]["max"],
            (score["dimensions"][d.id]["grade"] or {}).get("name"),
        )
        for d in form.scoring.dimensions
    )
    total = None
    if score.get("total") is not None:
        total = (score["total"], sum(d.max or 0 for d in dims if d.max is not None))
    matrix_note = None
    for step in score.get("trace", []):
        if step["rule"] == "initial_level" and "行" in step["text"] and "列" in step["text"]:
            matrix_note = step["text"]
    decided = record.get("decided_level")
    proposed = record.get("proposed_level")
    decision = None
    if decided is not None and decided != proposed:
        decider = people.get(record.get("decided_by") or -1, "")
        decision = (
            f"审核核定等级：{decided} {form.level_name(decided)}（计算建议等级 {proposed} "
            f"{form.level_name(proposed)}）；核定人：{decider}；理由：{record.get('decision_reason') or ''}"
        )
    lines = []
    for section in form.sections:
        for item in section.items:
            if isinstance(item, SignatureItem | ComputedItem):
                continue
            lines.append(
                AnswerLine(section.title.zh_CN, item.id, item.label.zh_CN, answer_text(item, answers.get(item.id)))
            )
    attested = {
        "assessment": record.get("id"),
        "answers": answers,
        "score_final": final,
        "form_sha256": form.sha256,
        "engine_version": score.get("engine_version"),
        "status": record.get("status"),
    }
    digest = record_digest(attested)
    number = str(answers.get("A.1.1") or answers.get("INFO.1") or record.get("id"))
    return ReportData(
        report_id=f"LTC-{record.get('id')}-v{record.get('version_no', 1)}",
        title=f"{form.title.zh_CN}报告",
        standard=form.standard.zh_CN,
        form_ref=form.ref,
        form_sha256=form.sha256,
        engine_version=str(score.get("engine_version")),
        provisional=form.status == "provisional",
        provisional_note=form.status_note.zh_CN if form.status_note else None,
        status=str(record.get("status")),
        identity=(
            ("姓名", subject.get("name", "")),
            ("性别", SEX_LABELS.get(subject.get("sex", ""), "")),
            ("出生日期", subject.get("birth_date", "")),
            ("公民身份号码", subject.get("id_number", "")),
        ),
        info=(
            ("评估编号", number),
            ("评估基准日期", str(record.get("assessment_date", ""))),
            ("评估地点", str(record.get("place") or "")),
            ("评估原因", REASON_LABELS.get(str(record.get("reason")), str(record.get("reason")))),
        ),
        dimensions=dims,
        total=total,
        initial_levels=tuple(Box(f"{lv.code} {lv.name.zh_CN}", lv.code == initial) for lv in levels),
        change_reasons=tuple(
            Box(a.text.zh_CN, a.id in fired)
            for a in (form.scoring.adjustments.rules if form.scoring.adjustments else ())
        ),
        final_levels=tuple(Box(f"{lv.code} {lv.name.zh_CN}", lv.code == final) for lv in levels),
        matrix_note=matrix_note,
        decision=decision,
        answers=tuple(lines),
        explanation=tuple(step["text"] for step in score.get("trace", [])),
        history=tuple(HistoryPoint(h["assessment_date"], h["form_id"], h.get("level")) for h in history or ()),
        level_count=len(levels),
        assessors=(people.get(record.get("assessor1_id") or -1, ""), people.get(record.get("assessor2_id") or -1, "")),
        informant=str(record.get("informant_name") or ""),
        handwritten=dict(handwritten or {}),
        qr_payload=json.dumps({"assessment": record.get("id"), "sha256": digest}, separators=(",", ":")),
    )
