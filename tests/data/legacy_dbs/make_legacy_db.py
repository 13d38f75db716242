"""Make the legacy database of the current schema release: run once when a schema is released, commit the
file, never regenerate it afterwards (tests upgrade it to prove old installations keep working).

    .venv/bin/python tests/data/legacy_dbs/make_legacy_db.py tests/data/legacy_dbs/<last-migration>.sqlite

Databases are encrypted since encryption at rest: commit the key slots written beside it (``.sqlite.keys``) too.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from ltc_assess.idnumber import check_digit
from ltc_assess.service import AssessmentService, NewAssessment

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 20


def main(out: Path) -> None:
    clock = lambda: dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)  # noqa: E731 - fixed, reproducible
    service = AssessmentService(out, clock=clock)
    admin, _changes = service.create_first_admin("admin", "管理员", "legacy-admin")
    a1, _changes = service.add_user(admin, "assessor1", "张评估", "assessor", "legacy-assessor1")
    a2, _changes = service.add_user(admin, "assessor2", "李评估", "assessor", "legacy-assessor2")
    sup, _changes = service.add_user(admin, "supervisor1", "王主管", "supervisor", "legacy-supervisor1")
    first17 = "99010519400315123"
    subject, _ = service.register_subject(a1, name="王秀英（示例）", sex="female", id_number=first17 + check_digit(first17))
    record, _ = service.start_assessment(a1, NewAssessment(subject_id=subject.id, form="barthel@1", assessor2_id=a2.id))
    for i in range(1, 11):
        service.save_answer(a1, record.id, f"BI.{i}", 5)
    for role in ("assessor1", "assessor2", "informant"):
        service.save_signature(a1, record.id, role, PNG)
    service.submit(a1, record.id)
    service.approve(sup, record.id)
    draft, _ = service.start_assessment(a1, NewAssessment(subject_id=subject.id, form="barthel@1"))
    service.save_answer(a1, draft.id, "BI.1", 10)
    service.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    service.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
