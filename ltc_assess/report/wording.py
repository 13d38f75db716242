"""How a report words things: the labels of codes, the standards' own headings and notes, answers as text,
dates as people read them, the record's state and the level decision in words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ltc_assess.i18n import N_, SOURCE_LANGUAGE, Msg, say
from ltc_assess.schema.model import AnyItem, ChoiceItem, FormDef, GroupItem, MatrixRule, MultiChoiceItem

REASON_LABELS = {
    "first": "首次评估",
    "routine": "常规评估",
    "immediate": "即时评估",
    "review": "因对评估结果有疑问进行的复评",
    "other": "其他",
}
SEX_LABELS = {"male": "男", "female": "女"}
STATUS_LABELS = {
    "draft": "草稿",
    "submitted": "已提交",
    "returned": "已退回",
    "approved": "已审核批准",
    "superseded": "已被更正版本取代",
}


# The result blocks as each standard numbers and words them (附录C); forms not listed use the GB/T layout.
HEADINGS = {
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
DEFAULT_HEADINGS = {
    "dims": "C.1 一级指标分级",
    "total": "C.2 初步等级得分",
    "initial": "C.3 初步等级",
    "change": "C.4 能力等级变更依据",
    "final": "C.5 最终等级",
}
PREAMBLES = {
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


def matrix_note(form: FormDef, score: dict[str, Any]) -> str | None:
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


def short_uid(uid: str) -> str:
    """An assessment's global identity as people read it: the first 12 hex digits of its uid, the same on every
    laptop, desktop and the server (a database's own id is not) and the start of the uid the insurer API names."""
    return uid[:12]


def report_id(uid: str, version_no: Any = 1) -> str:
    """The number printed on a report and named by the correction that replaces it."""
    return f"LTC-{short_uid(uid)}-v{version_no or 1}"


def local_date(iso: str | None) -> str:
    """The calendar date of a stored UTC timestamp in this machine's time zone (what people read)."""
    if not iso:
        return ""
    stamp = dt.datetime.fromisoformat(iso)
    return (stamp.astimezone() if stamp.tzinfo else stamp).date().isoformat()


def status_line(record: dict[str, Any], people: dict[int, str]) -> str:
    status = str(record.get("status"))
    label = STATUS_LABELS.get(status, status)
    if status not in ("approved", "superseded"):
        return f"记录状态：{label}（未经审核批准）"
    if not record.get("approved_at"):
        return f"记录状态：{label}"
    approver = people.get(record.get("approved_by") or -1, "")
    return f"记录状态：{label}（审核人：{approver}；批准日期：{local_date(record.get('approved_at'))}）"


def decision_note(form: FormDef, record: dict[str, Any], people: dict[int, str], computed: int | None) -> str | None:
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
