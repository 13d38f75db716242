"""Storage latency at scale, each beside a raw sqlite3 baseline measured in the same run.

1. Answer save (service.save_answer: validation, one durable transaction with the answer, live score and
   audit row) on a database holding N assessments; baseline: a bare INSERT..ON CONFLICT + COMMIT with the
   same pragmas. Target p99 <= 5 ms.
2. Subject search (name fragment, ID suffix, phone) at N subjects; baseline: ``LIKE '%q%'`` on the name
   column of a plain table. Target p95 <= 20 ms.

    .venv/bin/python bench/bench_storage.py [--n 100000] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ltc_assess.idnumber import check_digit
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.storage.store import name_grams

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "秀英桂兰玉建国淑珍德华凤志强翠花文明素芬丽娟海燕"


def pct(samples: list[float], p: float) -> float:
    return statistics.quantiles(samples, n=100)[int(p) - 1] * 1000


def fill(service: AssessmentService, n: int, rng: random.Random) -> tuple[int, int]:
    """N subjects and N assessments inserted in bulk (set-up only, not measured)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    db = service.db
    with db.atomic():
        subjects, grams, assessments = [], [], []
        for i in range(n):
            first17 = f"99{i // 1000:04d}19400101{i % 1000:03d}"  # unique per i up to 10 million
            number = first17 + check_digit(first17)
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
            subjects.append({"id": i + 1, "name": name, "sex": "female", "birth_date": "1940-01-01",
                             "id_number": number, "id_reversed": number[::-1], "phone": f"139{i:08d}",
                             "phone_reversed": f"139{i:08d}"[::-1], "contacts_json": "[]", "created_at": now,
                             "updated_at": now})
            grams += [{"gram": g, "subject_id": i + 1} for g in name_grams(name)]
            assessments.append({"subject_id": i + 1, "form_id": "barthel", "form_version": 1, "form_sha256": "x",
                                "reason": "first", "assessment_date": "2026-01-01", "assessor1_id": 2,
                                "status": "approved", "created_by": 2, "created_at": now, "updated_at": now})
        db["subjects"].insert_all(subjects, batch_size=5000)
        db["subject_name_grams"].insert_all(grams, batch_size=5000)
        db["assessments"].insert_all(assessments, batch_size=5000)
    return n, n


def time_calls(call: Callable[[int], object], count: int) -> list[float]:
    out = []
    for i in range(count):
        start = time.perf_counter()
        call(i)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="10,000 rows, fewer samples")
    args = ap.parse_args()
    n = 10_000 if args.quick else args.n
    samples = 200 if args.quick else 1000
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        service = AssessmentService(Path(tmp) / "bench.db")
        admin, _changes = service.create_first_admin("admin", "管理员", "admin-password")
        a1, _changes = service.add_user(admin, "a1", "评估员", "assessor", "a1-password")
        fill(service, n, rng)
        record, _ = service.start_assessment(a1, NewAssessment(subject_id=1, form="gbt42195-2022"))
        form = service.form("gbt42195-2022")
        items = form.scored_items
        save = time_calls(lambda i: service.save_answer(a1, record.id, items[i % len(items)],
                                                        form.items[items[i % len(items)]].choices[i % 2].value),
                          samples)
        raw = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("CREATE TABLE answers (a INTEGER, item TEXT, v TEXT, PRIMARY KEY (a, item))")

        def raw_save(i: int) -> None:
            raw.execute("BEGIN")
            raw.execute("INSERT INTO answers VALUES (1, ?, ?) ON CONFLICT (a, item) DO UPDATE SET v = excluded.v",
                        [items[i % len(items)], str(i)])
            raw.execute("COMMIT")

        save_raw = time_calls(raw_save, samples)
        queries = ["秀", "王秀", "建国", "123", "3900001", "李"]
        search = time_calls(lambda i: service.search_subjects(queries[i % len(queries)]), samples)
        raw.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
        raw.execute("BEGIN")
        raw.executemany("INSERT INTO people (name) VALUES (?)",
                        [(r["name"],) for r in service.db.query("SELECT name FROM subjects")])
        raw.execute("COMMIT")
        search_raw = time_calls(lambda i: raw.execute("SELECT * FROM people WHERE name LIKE ? LIMIT 50",
                                                      [f"%{queries[i % len(queries)]}%"]).fetchall(), samples)
        service.close()
        raw.close()
    print(f"{n:,} subjects / assessments, {samples} samples each")
    print(f"answer save   p50 {pct(save, 50):6.2f} ms  p99 {pct(save, 99):6.2f} ms   "
          f"raw sqlite3 p99 {pct(save_raw, 99):6.2f} ms   ratio {pct(save, 99) / pct(save_raw, 99):.1f}x  "
          f"(target p99 <= 5 ms: {'met' if pct(save, 99) <= 5 else 'NOT met'})")
    print(f"subject search p95 {pct(search, 95):6.2f} ms   raw LIKE p95 {pct(search_raw, 95):6.2f} ms   "
          f"ratio {pct(search, 95) / pct(search_raw, 95):.2f}x  "
          f"(target p95 <= 20 ms: {'met' if pct(search, 95) <= 20 else 'NOT met'})")


if __name__ == "__main__":
    main()
