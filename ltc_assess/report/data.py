"""Building ReportData (``report.model``) from the stored record and the engine's result (pure).

The renderer lays out only what is built here, so the same facts reach every report layout; the words are
``report.wording``'s.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ltc_assess.report.model import AnswerLine, Box, DimensionLine, HistoryPoint, ReportData
from ltc_assess.report.wording import (
    DEFAULT_HEADINGS,
    HEADINGS,
    PREAMBLES,
    REASON_LABELS,
    SEX_LABELS,
    answer_text,
    decision_note,
    local_date,
    matrix_note,
    report_id,
    short_uid,
    status_line,
)
from ltc_assess.schema.model import ComputedItem, FormDef, SignatureItem


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


def assessment_number(form: FormDef, answers: dict[str, Any], record: dict[str, Any]) -> str:
    """The assessment number printed as 评估编号 (report and 告知书): the answer pre-filled from it, else the number
    it is built as — from the assessment's uid, so that every installation prints the same."""
    for item_id, source in form.prefill.items():
        if source == "assessment.number" and answers.get(item_id):
            return str(answers[item_id])
    return built_number(str(record.get("assessment_date") or ""), str(record.get("uid") or ""))


def built_number(assessment_date: str, uid: str) -> str:
    """评估编号 as an assessment is given it: its date and the short form of its uid (unique across laptops)."""
    return f"{assessment_date.replace('-', '')}-{short_uid(uid)}"


def record_digest(record: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the attested facts (answers, score, form hash, engine, status)."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()


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
    matrix = matrix_note(form, score)
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
        "assessment": record.get("uid"),
        "answers": answers,
        "score_final": final,
        "decided_level": decided,
        "form_sha256": form.sha256,
        "engine_version": score.get("engine_version"),
        "status": record.get("status"),
    }
    digest = record_digest(attested)
    number = assessment_number(form, answers, record)
    change_preamble, change_note, final_preamble = PREAMBLES.get(form.form, (None, None, None))
    quals = qualifications or {}
    return ReportData(
        report_id=report_id(str(record.get("uid") or ""), record.get("version_no", 1)),
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
        matrix_note=matrix,
        decision=decision_note(form, record, people, final),
        answers=tuple(lines),
        explanation=tuple(step["text"] for step in score.get("trace", [])),
        history=tuple(HistoryPoint(h["assessment_date"], h["form_id"], h.get("level")) for h in history or ()),
        level_count=len(levels),
        assessors=(people.get(record.get("assessor1_id") or -1, ""), people.get(record.get("assessor2_id") or -1, "")),
        informant=str(record.get("informant_name") or ""),
        handwritten=dict(handwritten or {}),
        qr_payload=json.dumps({"assessment": record.get("uid"), "sha256": digest}, separators=(",", ":")),
        agency=(agency[0] or "", agency[1] or ""),
        qualifications=(
            quals.get(record.get("assessor1_id") or -1, ""),
            quals.get(record.get("assessor2_id") or -1, ""),
        ),
        signed_on={role: local_date(at) for role, at in (signed_at or {}).items()},
        headings=HEADINGS.get(form.form, DEFAULT_HEADINGS),
        change_preamble=change_preamble,
        change_note=change_note,
        final_preamble=final_preamble,
        status_line=status_line(record, people),
        correction=correction,
        submitted_attached=submitted_attached,
    )
