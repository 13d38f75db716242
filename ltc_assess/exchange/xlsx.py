"""``assessments.xlsx``: the package's assessments as a spreadsheet people open in Excel or WPS.

Why besides the CSV: Excel opens a CSV by guessing types, so an 18-digit ID number becomes 1.10105E+17 (and
loses its last digits), leading zeros of phone and insurance numbers vanish. Here those are text cells, codes
stand beside their Chinese labels, and the dimension scores, assessors and approver have columns of their own.
The CSV stays the machine-clean file. Built with XlsxWriter with a fixed creation date, so exporting again
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

import xlsxwriter

from ltc_assess.exchange.insurer import CONCLUSION_COLUMNS
from ltc_assess.schema.model import FormDef

# A fixed document date: the file's bytes depend only on its content (packages are reproducible).
_CREATED = dt.datetime(2000, 1, 1)


def _columns(forms: Mapping[str, FormDef]) -> list[tuple[str, str]]:
    """(key, header) of every column; one per dimension of each form in the package, in the table's order."""
    head = [
        ("id", "评估记录编号"),
        ("version_no", "版本号"),
        ("supersedes_id", "更正的评估记录编号"),
        ("subject_name", "姓名"),
        ("id_number", "公民身份号码"),
        ("insurance_no", "参保号"),
        ("phone", "联系电话"),
        ("sex", "性别代码"),
        ("sex_label", "性别"),
        ("birth_date", "出生日期"),
        ("form", "表单代码"),
        ("form_label", "评估标准"),
        ("form_version", "表单版本"),
        ("assessment_date", "评估基准日期"),
        ("reason", "评估原因代码"),
        ("reason_label", "评估原因"),
        ("total", "总分"),
    ]
    dims = [
        (f"dim:{form.form}:{d.id}", f"{d.label.zh_CN}得分（{form.form}）")
        for form in forms.values()
        for d in form.scoring.dimensions
    ]
    tail = [
        ("proposed_level", "建议等级代码"),
        ("proposed_level_name", "建议等级"),
        ("decided_level", "核定等级代码"),
        ("decided_level_name", "核定等级"),
        ("decision_reason", "核定理由"),
        ("assessor1", "评估员（一）"),
        ("assessor2", "评估员（二）"),
        ("approved_by", "审核批准人"),
        ("approved_at", "批准时间"),
        ("policy", "城市政策版本"),
        ("valid_from", "结论有效期起"),
        ("valid_until", "结论有效期止"),
        ("reapply_after", "可重新申请日期"),
        ("published_at", "公示日期"),
        ("objection_until", "异议截止日期"),
        ("report_file", "报告文件"),
        ("report_sha256", "报告SHA-256"),
    ]
    return head + dims + tail


# Identifiers that look like numbers but are not: they must stay text cells.
_TEXT = {"id_number", "insurance_no", "phone", "birth_date", "assessment_date", "approved_at", "report_sha256"}


def _row(
    entry: dict[str, Any], forms: Mapping[str, FormDef], labels: Mapping[str, Mapping[str, str]]
) -> dict[str, Any]:
    subject = entry["subject"]
    form = forms[entry["form"]]
    assessors = [*entry.get("assessors", []), {}, {}]
    row = {
        **{k: entry[k] for k in ("id", "version_no", "supersedes_id", "form", "form_version", "assessment_date")},
        **{k: entry[k] for k in ("reason", "decision_reason", "approved_at", "report_file", "report_sha256")},
        **{k: subject.get(k) for k in ("id_number", "insurance_no", "phone", "sex", "birth_date")},
        "subject_name": subject["name"],
        "sex_label": labels["sex"].get(subject["sex"], ""),
        "form_label": form.standard.zh_CN,
        "reason_label": labels["reason"].get(entry["reason"], ""),
        "total": entry["score"].get("total"),
        "proposed_level": entry["proposed_level"]["code"],
        "proposed_level_name": entry["proposed_level"]["name"],
        "decided_level": entry["decided_level"]["code"],
        "decided_level_name": entry["decided_level"]["name"],
        "assessor1": assessors[0].get("name"),
        "assessor2": assessors[1].get("name"),
        "approved_by": entry.get("approved_by"),
    }
    row.update({k: (entry.get("conclusion") or {}).get(k) for k in CONCLUSION_COLUMNS})
    for dim_id, result in entry["score"].get("dimensions", {}).items():
        row[f"dim:{form.form}:{dim_id}"] = result.get("score")
    return row


def to_xlsx(
    entries: list[dict[str, Any]], forms: Mapping[str, FormDef], labels: Mapping[str, Mapping[str, str]]
) -> bytes:
    """The workbook bytes: one sheet 评估结果, a header row, one row per assessment.

    Args:
        entries: the rows of ``assessments.json``.
        forms: form id -> definition, for every form the entries use (dimension columns and labels).
        labels: ``{"sex": {code: label}, "reason": {code: label}}``.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"title": "评估结果", "author": "ltc-assess", "created": _CREATED})
    sheet = book.add_worksheet("评估结果")
    bold = book.add_format({"bold": True, "bg_color": "#E5E7EB", "border": 1})
    text = book.add_format({"num_format": "@"})
    columns = _columns(forms)
    for col, (key, header) in enumerate(columns):
        sheet.write_string(0, col, header, bold)
        sheet.set_column(col, col, 22 if key in _TEXT or key.startswith("dim:") else 14)
    for row_no, entry in enumerate(entries, 1):
        row = _row(entry, forms, labels)
        for col, (key, _header) in enumerate(columns):
            value = row.get(key)
            if value is None:
                continue
            if key in _TEXT or isinstance(value, str):
                sheet.write_string(row_no, col, str(value), text)
            else:
                sheet.write_number(row_no, col, value)
    sheet.freeze_panes(1, 4)
    sheet.autofilter(0, 0, len(entries), len(columns) - 1)
    book.close()
    return buffer.getvalue()
