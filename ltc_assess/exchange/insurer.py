"""Insurer export packages: what goes in them and how an insurer checks them.

A package holds the signed PDF of every approved assessment in the period, ``assessments.json`` (schema:
``schemas/assessments.schema.json``), ``assessments.csv`` (UTF-8 with BOM, text quoted), ``assessments.xlsx``
(for Excel: identifiers as text cells), FHIR R4 ``Questionnaire`` per form version, ``QuestionnaireResponse``
and result ``Observation`` per assessment with our ``CodeSystem``, and ``manifest.json`` with the SHA-256 of
each file, signed (detached CMS) by the exporting user.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.exchange.package import VerifiedPackage, sha256, verify_package
from ltc_assess.i18n import _
from ltc_assess.signing.attach import SUBMITTED_NAME, submitted_report
from ltc_assess.signing.cms import verify_detached
from ltc_assess.signing.pades import verify_pdf

FORMAT = "ltc-assess-export"
FORMAT_VERSION = 1
# The conclusion's policy version and validity (``conclusions.export_view``), in the CSV and the XLSX.
CONCLUSION_COLUMNS = ("policy", "valid_from", "valid_until", "reapply_after", "published_at", "objection_until")
CSV_COLUMNS = (
    "id",
    "subject_name",
    "id_number",
    "insurance_no",
    "sex",
    "birth_date",
    "form",
    "form_version",
    "assessment_date",
    "reason",
    "total",
    "proposed_level",
    "proposed_level_name",
    "decided_level",
    "decided_level_name",
    "decision_reason",
    "approved_at",
    "report_file",
    "report_sha256",
    "version_no",  # appended, so readers of the first columns keep working
    "supersedes_id",
    *CONCLUSION_COLUMNS,  # under a city policy (empty without one); appended likewise
)


def to_csv(entries: list[dict[str, Any]]) -> bytes:
    """One row per assessment, UTF-8 with BOM so Excel shows the Chinese correctly.

    Every text field is quoted (numbers are not), so a reader can tell the ID number "110105194003151234" from a
    number; people who open tables in Excel get assessments.xlsx, where such columns are text cells.
    """
    out = io.StringIO()
    csv.writer(out).writerow(CSV_COLUMNS)
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    for e in entries:
        flat = {
            **{
                k: e[k]
                for k in (
                    "id",
                    "version_no",
                    "supersedes_id",
                    "form",
                    "form_version",
                    "assessment_date",
                    "reason",
                    "decision_reason",
                    "approved_at",
                    "report_file",
                    "report_sha256",
                )
            },
            **{k: e["subject"][k] for k in ("id_number", "insurance_no", "sex", "birth_date")},
            "subject_name": e["subject"]["name"],
            "total": e["score"]["total"],
            "proposed_level": e["proposed_level"]["code"],
            "proposed_level_name": e["proposed_level"]["name"],
            "decided_level": e["decided_level"]["code"],
            "decided_level_name": e["decided_level"]["name"],
            **{k: (e.get("conclusion") or {}).get(k) for k in CONCLUSION_COLUMNS},
        }
        writer.writerow([flat[c] if flat[c] is not None else "" for c in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def check_insurer_package(path: Path, trust_roots_pem: list[bytes]) -> VerifiedPackage:
    """Everything an insurer checks, in order; raises AppError naming the first bad file.

    The manifest signature and every file's hash, then every report's PAdES signatures (and those of the
    submitted report an approved one embeds), then that ``assessments.json`` lists each report with its hash.
    """
    package = verify_package(path, lambda data, sig: verify_detached(data, sig, trust_roots_pem))
    if package.manifest.get("format") != FORMAT:
        raise AppError(ErrorCode.INTEGRITY, _("{path}：不是 ltc-assess 导出包").format(path=path))
    for name, data in sorted(package.files.items()):
        if name.endswith(".pdf"):
            verdict = verify_pdf(data, trust_roots_pem)
            if not verdict.ok:
                raise AppError(
                    ErrorCode.SIGNATURE,
                    _("{name}：{problems}").format(name=name, problems=_("；").join(verdict.problems)),
                    where=str(path),
                )
            # the approved report carries the assessors' signed submission: their signatures must hold too
            submitted = submitted_report(data)
            if submitted is not None:
                verdict = verify_pdf(submitted, trust_roots_pem)
                if not verdict.ok:
                    where = f"{name} ({SUBMITTED_NAME})"
                    raise AppError(
                        ErrorCode.SIGNATURE,
                        _("{where}：{problems}").format(where=where, problems=_("；").join(verdict.problems)),
                        where=str(path),
                    )
    try:
        entries = json.loads(package.files["assessments.json"])
    except (KeyError, ValueError):
        raise AppError(ErrorCode.INTEGRITY, _("assessments.json：缺失或不是 JSON"), where=str(path)) from None
    for entry in entries:
        report = package.files.get(entry["report_file"])
        if report is None or sha256(report) != entry["report_sha256"]:
            raise AppError(
                ErrorCode.INTEGRITY,
                _("{file}：与 assessments.json 不符").format(file=entry["report_file"]),
                where=str(path),
            )
    return package
