"""Insurer export of N approved assessments with their signed reports (target: 1,000 in <= 60 s on two
cores), beside a baseline measured in the same run: zipping the same report bytes with no checks.

    .venv/bin/python bench/bench_export.py [--n 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

from ltc_assess.demo import signature_png
from ltc_assess.idnumber import check_digit
from ltc_assess.service import AssessmentService, NewAssessment


def setup(path: Path, n: int) -> AssessmentService:
    """One assessment taken through the real workflow and signed, then copied N-1 times in SQL (set-up only)."""
    service = AssessmentService(path)
    admin, _changes = service.create_first_admin("admin", "管理员", "admin-password")
    users = {
        u: service.add_user(admin, u, u, role, f"{u}-password")[0]
        for u, role in (("a1", "assessor"), ("a2", "assessor"), ("sup1", "supervisor"))
    }
    service.init_root(admin, "基准机构", "root-passphrase")
    for u in users:
        service.issue_certificate(admin, u, "root-passphrase", f"{u}-password")
    first17 = "99010519400315123"
    number = first17 + check_digit(first17)
    subject, _ = service.register_subject(users["a1"], name="王秀英", sex="female", id_number=number)
    record, _ = service.start_assessment(
        users["a1"], NewAssessment(subject_id=subject.id, form="barthel", assessor2_id=users["a2"].id)
    )
    for i in range(1, 11):
        service.save_answer(users["a1"], record.id, f"BI.{i}", 5)
    for role in ("assessor1", "assessor2", "informant"):
        service.save_signature(users["a1"], record.id, role, signature_png(1))
    service.submit(users["a1"], record.id, {"assessor1": "a1-password", "assessor2": "a2-password"})
    service.approve(users["sup1"], record.id, "sup1-password")
    db = service.db
    columns = [r[1] for r in db.execute("PRAGMA table_info(assessments)").fetchall() if r[1] not in ("id", "uid")]
    cols = ", ".join(columns)
    # copies start as drafts (triggers lock the answers of approved records), then become approved
    picks = ", ".join("'draft'" if c == "status" else c for c in columns)
    with db.atomic():
        for _ in range(n - 1):
            new_id = db.execute(
                f"INSERT INTO assessments (uid, {cols}) SELECT ?, {picks} FROM assessments WHERE id = ?",
                [uuid.uuid4().hex, record.id],
            ).lastrowid
            db.execute(
                "INSERT INTO answers SELECT ?, item_id, value_json, saved_at, saved_by FROM answers "
                "WHERE assessment_id = ?",
                [new_id, record.id],
            )
            db.execute(
                "INSERT INTO reports SELECT ?, revision, signer_role, pdf, sha256, created_at FROM reports "
                "WHERE assessment_id = ?",
                [new_id, record.id],
            )
            db.execute("UPDATE assessments SET status = 'approved' WHERE id = ?", [new_id])
    return service


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        service = setup(Path(tmp) / "bench.db", args.n)
        sup = service.store.user_by_name("sup1")
        start = time.perf_counter()
        service.export_package(sup, "sup1-password", Path(tmp) / "export.zip", "2000-01-01", "2100-01-01")  # type: ignore[arg-type]
        ours = time.perf_counter() - start
        pdfs = [
            (r[0], bytes(r[1])) for r in service.db.execute("SELECT assessment_id, pdf FROM reports WHERE revision = 3")
        ]
        start = time.perf_counter()
        with zipfile.ZipFile(Path(tmp) / "baseline.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for aid, pdf in pdfs:
                zf.writestr(f"reports/{aid}.pdf", pdf)
        baseline = time.perf_counter() - start
        service.close()
    print(
        f"export of {args.n} approved assessments: {ours:.1f} s (baseline zip of the same reports {baseline:.1f} s, "
        f"ratio {ours / baseline:.1f}x); target <= 60 s: {'met' if ours <= 60 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
