"""ReportData: everything a report shows, built from the stored record and the engine's result (pure).

The renderer lays out only what is here, so the same facts reach every report layout and tests can
check the data without parsing a PDF.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ltc_assess.i18n import N_, SOURCE_LANGUAGE, Msg, say
from ltc_assess.schema.model import (
    AnyItem,
    ChoiceItem,
    ComputedItem,
    FormDef,
    GroupItem,
    MatrixRule,
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
    code: str = ""  # C.1.x, in the table's order
    rate: float | None = None  # 0–100, higher is better whatever the standard's direction (the chart's scale)


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
    agency: tuple[str, str] = ("", "")  # the assessment institution's name and code
    qualifications: tuple[str, str] = ("", "")  # the assessors' qualification numbers
    signed_on: dict[str, str] = field(default_factory=dict)  # role -> local date of the handwritten signature
    headings: dict[str, str] = field(default_factory=dict)  # the standard's own numbering of the result blocks
    change_preamble: str | None = None
    change_note: str | None = None
    final_preamble: str | None = None
    status_line: str = ""  # page 1: 已审核批准 with approver and date, or the state and 未经审核批准
    correction: str | None = None  # a correction names the report it replaces
    submitted_attached: bool = False  # the assessor-signed submitted report is embedded (approved reports)
    conclusion: tuple[tuple[str, str], ...] = ()  # policy version and validity under a city policy
    care_advice: tuple[str, ...] = ()  # 照护建议 as the assessor reviewed it (ltc_assess.lifecycle)


# The result blocks as each standard numbers and words them (附录C); forms not listed use the GB/T layout.
_HEADINGS = {
    "gbt42195-2022": {
        "dims": "C.1 一级指标分级",
        "total": "C.2 初步等级得分",
        "initial": "C.3 老年人能力初步等级",
        "change": "C.4 能力等级变更依据",
        "final": "C.5 老年人能力最终等级",
    },
    "mzt039-2013": {
        "dims": "C.1 一级指标分级",
        "initial": "C.2 老年人能力初步等级",
        "change": "C.3 等级变更条款",
        "final": "C.4 老年人能力最终等级",
    },
}
_DEFAULT_HEADINGS = {
    "dims": "C.1 一级指标分级",
    "total": "C.2 初步等级得分",
    "initial": "C.3 初步等级",
    "change": "C.4 能力等级变更依据",
    "final": "C.5 最终等级",
}
_PREAMBLES = {
    "gbt42195-2022": (
        "依据附录A中表A.5的A.5.11“昏迷”、表A.4的A.4.1“疾病诊断”和表A.2的A.2.14“近30天内照护风险事件”"
        "确定是否存在以下导致能力等级变更的项目：",
        None,
        "综合C.3“老年人能力初步等级”和C.4“能力等级变更依据”的结果，判定老年人能力最终等级。",
    ),
    "mzt039-2013": (
        None,
        "若初步等级确定为“3 重度失能”，则不考虑上述1–3中各情况对最终等级的影响，等级不再提高。",
        None,
    ),
}


def _rate(dim: Any, result: dict[str, Any], grade_top: int) -> float | None:
    """A dimension on the chart's one scale: 0–100, higher is better.

    Summed dimensions: the share of the maximum (turned round where a higher score is worse); dimensions graded
    without a meaningful sum (MZ/T 感知觉与沟通): by grade, 0 能力完好 = 100.
    """
    if result.get("score") is not None and result.get("max") and dim.summed:
        share: float = 100 * result["score"] / result["max"]
        return 100 - share if dim.direction == "higher_worse" else share
    grade: int | None = (result.get("grade") or {}).get("code")
    if grade is not None and grade_top:
        return 100 * (grade_top - grade) / grade_top
    return None


def _matrix_note(form: FormDef, score: dict[str, Any]) -> str | None:
    """The combination matrix step, with its row and column named by grade name, not by index."""
    rule = form.scoring.initial_level
    if not isinstance(rule, MatrixRule):
        return None
    names = {g.code: g.name.zh_CN for g in form.scoring.grades or ()}
    for step in score.get("trace", []):
        if step["rule"] == "initial_level" and step.get("inputs", {}).get("row") is not None:
            row, col = step["inputs"]["row"], step["inputs"].get("column")
            return (
                f"组合判定：{rule.row_label.zh_CN}为“{names.get(row, row)}”，{rule.column_label.zh_CN}为"
                f"“{names.get(col, col)}” → 初步等级 {step.get('output', '')}"
            )
    return None


def assessment_number(form: FormDef, answers: dict[str, Any], record: dict[str, Any]) -> str:
    """The assessment number printed as 评估编号: the answer pre-filled from it, else the number it is built as."""
    for item_id, source in form.prefill.items():
        if source == "assessment.number" and answers.get(item_id):
            return str(answers[item_id])
    date = str(record.get("assessment_date") or "").replace("-", "")
    return f"{date}-{int(record.get('id') or 0):06d}"


STATUS_LABELS = {
    "draft": "草稿",
    "submitted": "已提交",
    "returned": "已退回",
    "approved": "已审核批准",
    "superseded": "已被更正版本取代",
}


def report_id(assessment_id: Any, version_no: Any = 1) -> str:
    """The number printed on a report and named by the correction that replaces it."""
    return f"LTC-{assessment_id}-v{version_no or 1}"


def local_date(iso: str | None) -> str:
    """The calendar date of a stored UTC timestamp in this machine's time zone (what people read)."""
    if not iso:
        return ""
    stamp = dt.datetime.fromisoformat(iso)
    return (stamp.astimezone() if stamp.tzinfo else stamp).date().isoformat()


def _status_line(record: dict[str, Any], people: dict[int, str]) -> str:
    status = str(record.get("status"))
    label = STATUS_LABELS.get(status, status)
    if status not in ("approved", "superseded"):
        return f"记录状态：{label}（未经审核批准）"
    if not record.get("approved_at"):
        return f"记录状态：{label}"
    approver = people.get(record.get("approved_by") or -1, "")
    return f"记录状态：{label}（审核人：{approver}；批准日期：{local_date(record.get('approved_at'))}）"


def _decision(form: FormDef, record: dict[str, Any], people: dict[int, str], computed: int | None) -> str | None:
    """The C.5 decision note: the proposed and decided levels, the reason when they differ, approver and date."""
    decided = record.get("decided_level")
    proposed = record.get("proposed_level", computed)
    if decided is None:
        return None
    parts = [
        f"计算建议等级：{proposed} {form.level_name(proposed) or ''}".rstrip(),
        f"审核核定等级：{decided} {form.level_name(decided) or ''}".rstrip(),
    ]
    if decided != proposed:
        parts.append(f"核定理由：{record.get('decision_reason') or ''}")
    if record.get("decided_by") != record.get("approved_by"):
        parts.append(f"核定人：{people.get(record.get('decided_by') or -1, '')}")
    if record.get("approved_at"):
        parts.append(f"审核批准人：{people.get(record.get('approved_by') or -1, '')}")
        parts.append(f"批准日期：{local_date(record.get('approved_at'))}")
    return "；".join(parts)


def record_digest(record: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the attested facts (answers, score, form hash, engine, status)."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()


def answer_text(item: AnyItem, value: Any, lang: str = SOURCE_LANGUAGE) -> str:
    """The option wording (or value) of an answer, as printed in the report (Chinese) or shown in ``lang``."""
    if value is None or value == [] or value == "":
        return "—"
    semicolon, comma = say(Msg(N_("；")), lang), say(Msg(N_("，")), lang)
    if isinstance(item, ChoiceItem):
        labels = {c.value: c.label.get(lang) for c in item.choices}
        values = value if isinstance(item, MultiChoiceItem) else [value]
        coded = N_("{label}：{value}")
        shown = [
            say(Msg(coded, {"label": str(v), "value": labels.get(v, v)}), lang)
            if isinstance(v, int)
            else str(labels.get(v, v))
            for v in values
        ]
        return semicolon.join(shown)
    if isinstance(item, GroupItem):
        return semicolon.join(comma.join(str(v) for v in row.values() if v) for row in value)
    unit = getattr(item, "unit", None)
    return f"{value} {unit.get(lang)}" if unit else str(value)


def build_report_data(
    form: FormDef,
    score: dict[str, Any],
    record: dict[str, Any],
    subject: dict[str, Any],
    *,
    people: dict[int, str],
    history: list[dict[str, Any]] | None = None,
    handwritten: dict[str, bytes] | None = None,
    replaces: str | None = None,
    submitted_attached: bool = False,
    agency: tuple[str | None, str | None] = (None, None),
    qualifications: dict[int, str] | None = None,
    signed_at: dict[str, str] | None = None,
) -> ReportData:
    """Assemble the report facts.

    Args:
        score: ``ScoreResult.to_dict()`` as stored with the record.
        record: the assessment's fields (id, answers, reason, dates, assessors, levels, decision...).
        subject: the person's fields (name, sex, birth_date, id_number).
        people: user id -> display name (assessors, decider).
        history: earlier assessments of the person (assessment_date, form_id, level).
        replaces: the report number of the version a correction replaces.
        submitted_attached: whether the assessor-signed submitted report will be embedded (approved reports).
        agency: the assessment institution's name and code.
        qualifications: user id -> qualification number (assessors).
        signed_at: role -> when the handwritten signature was given (ISO, UTC).
    """
    correction = None
    if record.get("supersedes_id") is not None:
        correction = f"更正报告（第 {record.get('version_no')} 版）：本报告更正并取代报告 {replaces or ''}"
    answers = record.get("answers", {})
    levels = form.scoring.levels
    initial = (score.get("initial_level") or {}).get("code")
    final = (score.get("final_level") or {}).get("code")
    fired = {a["rule"] for a in score.get("adjustments", [])}
    grade_top = max((g.code for g in form.scoring.grades or ()), default=0)
    dims = tuple(
        DimensionLine(
            d.label.zh_CN,
            score["dimensions"][d.id]["score"],
            score["dimensions"][d.id]["max"],
            (score["dimensions"][d.id]["grade"] or {}).get("name"),
            code=f"C.1.{n}",
            rate=_rate(d, score["dimensions"][d.id], grade_top),
        )
        for n, d in enumerate(form.scoring.dimensions, 1)
    )
    total = None
    if score.get("total") is not None:
        total = (score["total"], sum(d.max or 0 for d in dims if d.max is not None))
    matrix_note = _matrix_note(form, score)
    # The level that counts is the supervisor's decision once there is one; the engine's result only proposes.
    decided = record.get("decided_level")
    ticked = decided if decided is not None else final
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
        "decided_level": decided,
        "form_sha256": form.sha256,
        "engine_version": score.get("engine_version"),
        "status": record.get("status"),
    }
    digest = record_digest(attested)
    number = assessment_number(form, answers, record)
    change_preamble, change_note, final_preamble = _PREAMBLES.get(form.form, (None, None, None))
    quals = qualifications or {}
    return ReportData(
        report_id=report_id(record.get("id"), record.get("version_no", 1)),
        title=f"{form.title.zh_CN}报告" + ("（更正）" if correction else ""),
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
            ("参保号", subject.get("insurance_no") or "—"),
        ),
        info=(
            ("评估编号", number),
            ("评估基准日期", str(record.get("assessment_date", ""))),
            ("评估地点", str(record.get("place") or "")),
            ("评估原因", REASON_LABELS.get(str(record.get("reason")), str(record.get("reason")))),
            ("评估机构", agency[0] or "—"),
            ("机构代码", agency[1] or "—"),
        ),
        dimensions=dims,
        total=total,
        initial_levels=tuple(Box(f"{lv.code} {lv.name.zh_CN}", lv.code == initial) for lv in levels),
        change_reasons=tuple(
            Box(a.text.zh_CN, a.id in fired)
            for a in (form.scoring.adjustments.rules if form.scoring.adjustments else ())
        ),
        final_levels=tuple(Box(f"{lv.code} {lv.name.zh_CN}", lv.code == ticked) for lv in levels),
        matrix_note=matrix_note,
        decision=_decision(form, record, people, final),
        answers=tuple(lines),
        explanation=tuple(step["text"] for step in score.get("trace", [])),
        history=tuple(HistoryPoint(h["assessment_date"], h["form_id"], h.get("level")) for h in history or ()),
        level_count=len(levels),
        assessors=(people.get(record.get("assessor1_id") or -1, ""), people.get(record.get("assessor2_id") or -1, "")),
        informant=str(record.get("informant_name") or ""),
        handwritten=dict(handwritten or {}),
        qr_payload=json.dumps({"assessment": record.get("id"), "sha256": digest}, separators=(",", ":")),
        agency=(agency[0] or "", agency[1] or ""),
        qualifications=(
            quals.get(record.get("assessor1_id") or -1, ""),
            quals.get(record.get("assessor2_id") or -1, ""),
        ),
        signed_on={role: local_date(at) for role, at in (signed_at or {}).items()},
        headings=_HEADINGS.get(form.form, _DEFAULT_HEADINGS),
        change_preamble=change_preamble,
        change_note=change_note,
        final_preamble=final_preamble,
        status_line=_status_line(record, people),
        correction=correction,
        submitted_attached=submitted_attached,
    )
