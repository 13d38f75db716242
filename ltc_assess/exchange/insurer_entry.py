"""One approved assessment as insurers receive it: an entry of ``assessments.json`` (and the CSV/XLSX rows
made from it). A pure shape, so that the schema in ``schemas/assessments.schema.json`` has one writer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ltc_assess.schema.model import FormDef

SUBJECT_FIELDS = ("name", "id_number", "insurance_no", "sex", "birth_date", "phone")


def entry(
    record: Any,
    subject: Any,
    form: FormDef,
    people: Mapping[int, str],
    qualifications: Mapping[int, str | None],
    report: tuple[str, str],
    conclusion: Any,
) -> dict[str, Any]:
    """The entry of ``record`` (an approved ``Assessment``) of ``subject``; ``report`` is (file name, SHA-256)."""
    return {
        "id": record.id,
        "version_no": record.version_no,
        "supersedes_id": record.supersedes_id,
        "subject": {k: getattr(subject, k) for k in SUBJECT_FIELDS},
        "assessors": [
            {"name": people[uid], "qualification_no": qualifications.get(uid)}
            for uid in (record.assessor1_id, record.assessor2_id)
            if uid in people
        ],
        "approved_by": people.get(record.approved_by or -1),
        "form": form.form,
        "form_version": form.version,
        "form_sha256": form.sha256,
        "engine_version": record.engine_version,
        "assessment_date": record.assessment_date,
        "reason": record.reason,
        "proposed_level": {"code": record.proposed_level, "name": form.level_name(record.proposed_level)},
        "decided_level": {"code": record.level, "name": form.level_name(record.level)},
        "decision_reason": record.decision_reason,
        "approved_at": record.approved_at,
        "score": record.score,
        "report_file": report[0],
        "report_sha256": report[1],
        "conclusion": conclusion,
    }
