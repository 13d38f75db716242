"""The server benchmark's work: an office and N laptops' signed submissions, made once per code version and kept
on disk (``bench/.cache/``, git-ignored), because making them is the slow part (about a second of CPU each).

Nothing the server checks is faked: every bundle is a real, distinct assessment taken through the real
workflow on a copy of the office database (answers, signatures, a report rendered and PAdES-signed by both
assessors, the signed submission record, the bundle signed and sealed to the agency). Only the way there is
cheaper: each laptop runs in its own process, and a process derives each password's argon2id key once
(``sealing.derive`` memoised: the key is unsealed for real, just not re-derived for every signature).

The cache key is a hash of everything that shapes a bundle (the code outside the server, the forms and fonts,
this file), so a change there makes a new set; the server's own code may change freely. ``LTC_BENCH_PREPARED``
names a set to use whatever the code (laptops that run an earlier version push to a newer server too).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import ltc_assess
from ltc_assess.demo import signature_png
from ltc_assess.idnumber import check_digit
from ltc_assess.service import AssessmentService, NewAssessment

CACHE = Path(__file__).resolve().parent / ".cache"
PACKAGE = Path(ltc_assess.__file__).resolve().parent
NOT_IN_BUNDLES = ("server", "ui", "cli", "storage/pg", "exchange")  # changing these changes no prepared bundle


@dataclass(frozen=True)
class Work:
    """A prepared set: the office database (and its key) and each laptop's bundle files, in order."""

    office: Path
    key: bytes | None
    bundles: dict[str, list[Path]]


def code_version() -> str:
    """A hash of the code and data that shape a prepared bundle."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(PACKAGE.rglob("*")):
        rel = path.relative_to(PACKAGE).as_posix()
        if not path.is_file() or "__pycache__" in rel or rel.startswith(NOT_IN_BUNDLES):
            continue
        digest.update(rel.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def office(path: Path, laptops: int) -> AssessmentService:
    service = AssessmentService(path)
    admin, _changes = service.create_first_admin("admin", "管理员", "admin-password")
    names = [f"a{i}" for i in range(laptops + 1)] + ["sup1"]
    for u in names:
        service.add_user(admin, u, u, "supervisor" if u == "sup1" else "assessor", f"{u}-password")
    service.init_root(admin, "基准机构", "root-passphrase")
    for u in names:
        service.issue_certificate(admin, u, "root-passphrase", f"{u}-password")
    return service


def laptop_bundles(service: AssessmentService, n: int, user: str, out: Path, start: int = 0) -> list[Path]:
    """Submitted assessments ``start`` … ``n - 1`` by ``user`` (second assessor a0), one bundle each (a distinct
    person each)."""
    from ltc_assess.bundles import export_bundle

    actor, second = service.store.user_by_name(user), service.store.user_by_name("a0")
    assert actor is not None and second is not None
    bundles, png = [], signature_png(1)
    for k in range(start, n):
        # birth date and sequence vary with k and the laptop: up to 36,500 distinct people per laptop
        birth = f"19{40 + k % 50:02d}{1 + k // 50 % 12:02d}{1 + k // 600 % 28:02d}"
        first17 = f"990105{birth}{int(user[1:]) % 1000:03d}"
        number = first17 + check_digit(first17)
        subject = service.store.subject_by_uid_or_number("", number)
        if subject is None:
            subject, _ = service.register_subject(actor, name=f"示例{user}{k}", sex="female", id_number=number)
        record, _ = service.start_assessment(
            actor, NewAssessment(subject_id=subject.id, form="barthel", assessor2_id=second.id)
        )
        for i in range(1, 11):
            service.save_answer(actor, record.id, f"BI.{i}", 5)
        for role in ("assessor1", "assessor2", "informant"):
            service.save_signature(actor, record.id, role, png)
        service.submit(actor, record.id, {"assessor1": f"{user}-password", "assessor2": "a0-password"})
        path = out / f"{user}-{k}.zip"
        export_bundle(service, actor, f"{user}-password", path)
        bundles.append(path)
    return bundles


def _derive_once() -> None:
    """In this process, derive each (password, salt) key once: the unsealing stays real, the repeats go."""
    from ltc_assess.signing import sealing

    if not hasattr(sealing.derive, "cache_info"):
        sealing.derive = functools.lru_cache(maxsize=256)(sealing.derive)  # type: ignore[method-assign]


def _laptop(folder: Path, key: bytes | None, user: str, n: int) -> None:
    """Grow ``user``'s laptop (its database kept in ``folder``) to ``n`` bundles."""
    _derive_once()
    count = folder / f"{user}.count"
    start = int(count.read_text()) if count.exists() else 0
    laptop = AssessmentService(folder / f"laptop-{user}.db", key=key)
    try:
        laptop_bundles(laptop, n, user, folder, start)
    finally:
        laptop.close()
    count.write_text(str(n))


def prepare(laptops: int, per_laptop: int, processes: int | None = None, step: int = 10) -> Work:
    """The set for ``laptops`` × ``per_laptop``: every laptop grows in rounds of ``step`` bundles, so a run cut
    short leaves a usable smaller set and the next call goes on from it (sets of one size share one folder)."""
    folder = CACHE / (os.environ.get("LTC_BENCH_PREPARED") or f"{code_version()}-{laptops}")
    names = [f"a{i}" for i in range(1, laptops + 1)]
    if not (folder / "key").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        base = office(folder / "office.db", laptops)
        key = base.database_key()
        for user in names:
            base.backup(folder / f"laptop-{user}.db")
        base.close()
        (folder / "key").write_text(key.hex() if key else "")
    key = _key(folder)
    t0, c0, made = time.perf_counter(), time.process_time() + _children_cpu(), 0
    with ProcessPoolExecutor(processes or os.cpu_count() or 1) as pool:
        for target in [*range(step, per_laptop, step), per_laptop]:
            todo = [u for u in names if _count(folder, u) < target]
            made += sum(target - _count(folder, u) for u in todo)
            list(pool.map(_laptop, [folder] * len(todo), [key] * len(todo), todo, [target] * len(todo)))
    if made:
        cpu = time.process_time() + _children_cpu() - c0
        with (folder / "made").open("a") as log:
            log.write(f"{made} in {time.perf_counter() - t0:.0f} s, CPU {cpu:.0f} s ({cpu / made:.2f} s each)\n")
    bundles = {u: [folder / f"{u}-{k}.zip" for k in range(per_laptop)] for u in names}
    return Work(folder / "office.db", key, bundles)


def _count(folder: Path, user: str) -> int:
    path = folder / f"{user}.count"
    return int(path.read_text()) if path.exists() else 0


def _key(folder: Path) -> bytes | None:
    text = (folder / "key").read_text()
    return bytes.fromhex(text) if text else None


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def working_copy(work: Work, into: Path) -> Path:
    """A copy of the prepared office database (the benchmark imports into it) with its sidecar files."""
    for path in work.office.parent.glob(work.office.name + "*"):
        shutil.copy2(path, into / path.name)
    return into / work.office.name
