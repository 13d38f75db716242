"""A small world for service and UI tests: a real SQLite file with users of every role and one person."""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ltc_assess.demo import signature_png
from ltc_assess.idnumber import check_digit
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.storage.db import raw_connection
from ltc_assess.storage.records import Subject, User


class Clock:
    """A controllable clock (lockouts, timestamps)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def id_number(first17: str = "11010519400315123") -> str:
    return first17 + check_digit(first17)


@dataclass
class World:
    service: AssessmentService
    clock: Clock
    admin: User
    a1: User
    a2: User
    a3: User
    sup1: User
    sup2: User
    subject: Subject
    copied_audit_rows: int = -1  # the audit log's length as copied: nothing has happened in the world while equal


USERS = ("admin", "a1", "a2", "a3", "sup1", "sup2")
_template: tuple[Path, bytes, int] | None = None  # folder, database key, audit rows
_keyed: dict[tuple[bytes, tuple[str, ...]], Path] = {}  # (database key, users) -> a keyed copy's folder


def _template_world() -> tuple[Path, bytes, int]:
    """The world's files and database key, built once per test process.

    Why: each account costs two argon2id derivations (login hash and key slot), over a second per world on a
    loaded machine; a test gets a copy of the files instead (the same bytes a fresh build would give, except
    for random uids and keys, which no test compares across worlds)."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="ltc-world-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        service = AssessmentService(folder / "ltc.db", clock=Clock())
        admin, _changes = service.create_first_admin("admin", "管理员", "admin-pass")
        for name, role in (("a1", "assessor"), ("a2", "assessor"), ("a3", "assessor"),
                           ("sup1", "supervisor"), ("sup2", "supervisor")):
            service.add_user(admin, name, f"{name} 名", role, f"{name}-password")
        a1 = service.store.user_by_name("a1")
        assert a1 is not None
        service.register_subject(a1, name="王秀英", sex="female", id_number=id_number(), phone="13800001234",
                                 district="东城区")
        key = service.database_key()
        assert key is not None
        rows = service.store.count("audit")
        service.close()
        _template = (folder, key, rows)
    return _template


def make_world(tmp_path: Path) -> Iterator[World]:
    """Users admin, a1–a3 (assessors), sup1–sup2 (supervisors), passwords '<name>-password' (the admin's:
    'admin-pass'); one subject. A copy of one world built per test process (see ``_template_world``)."""
    folder, key, rows = _template_world()
    for f in folder.iterdir():
        shutil.copy2(f, tmp_path / f.name)
    clock = Clock()
    service = AssessmentService(tmp_path / "ltc.db", clock=clock, key=key)
    users = {}
    for name in USERS:
        user = service.store.user_by_name(name)
        assert user is not None
        users[name] = user
    (subject,) = service.store.search_subjects("")
    yield World(service, clock, users["admin"], users["a1"], users["a2"], users["a3"], users["sup1"], users["sup2"],
                subject, rows)
    service.close()


PNG = signature_png(1)


def raw_sql(service: AssessmentService) -> Any:
    """A bare SQLCipher connection to the service's file with its key: tampering behind the app's back, as an
    insider who knows a password (and so the database key) could."""
    return raw_connection(service.path, service.database_key())


def snapshot(con: Any) -> list[Any]:
    """Every schema line and every row of every table, in order: equal snapshots mean nothing was written
    (``iterdump`` for a SQLCipher connection, which has none). The audit log's login and read events are left
    out: who logged in and read what is recorded whatever the outcome (PIPL access log)."""
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    schema = [tuple(r) for r in con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")]
    where = {"audit": " WHERE action NOT LIKE 'login%' AND action NOT LIKE 'read.%'"}
    rows = [(t, sorted(repr(tuple(r)) for r in con.execute(f'SELECT * FROM "{t}"{where.get(t, "")}'))) for t in tables]
    return schema + rows


def insider_sql(path: Path, username: str, password: str) -> Any:
    """The attacker's SQLite shell on an encrypted file: an insider unseals the database key with their own
    password (their key slot beside the file) and connects behind the application's back."""
    from ltc_assess.storage.keyslots import KeySlots

    slots = KeySlots.load(path)
    key = slots.unlock(username, password) if slots is not None else None
    assert slots is None or key is not None, f"{username}'s password does not open {path}"
    return raw_connection(path, key)


def with_signing_keys(world: World, users: tuple[str, ...] = ("a1", "a2", "sup1", "sup2")) -> None:
    """The agency's signing root and a certificate for each of ``users`` (key password: '<user>-password').

    The root and each key cost an argon2id derivation or two, so a world nothing has happened in yet gets them
    from a keyed copy of such a world, made once per test process and database key (SQLite's backup into the
    world's open connection, and the key files beside it). Any other world gets them issued."""
    service = world.service
    key = service.database_key()
    fresh = world.clock.now == Clock().now and service.store.count("audit") == world.copied_audit_rows
    if key is None or not fresh:
        _issue_keys(service, world.admin, users)
        return
    folder = _keyed.get((key, users))
    if folder is None:
        folder = _keyed[(key, users)] = _keyed_copy(service, key, world.admin, users)
    keyed = raw_connection(folder / "ltc.db", key)
    try:
        keyed.backup(service.db.conn)  # every page, under the same key
    finally:
        keyed.close()
    for side in folder.iterdir():
        if side.suffix in _SIDE_FILES:
            shutil.copy2(side, service.path.with_name(service.path.name + side.suffix))


_SIDE_FILES = (".keys", ".tsa-secret")  # beside the database: the sealed database key, the sealed TSA key


def _keyed_copy(service: AssessmentService, key: bytes, admin: User, users: tuple[str, ...]) -> Path:
    """A copy of ``service``'s database and side files in a folder of its own, with the keys issued there."""
    folder = Path(tempfile.mkdtemp(prefix="ltc-world-keys-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    target = raw_connection(folder / "ltc.db", key)
    try:
        service.db.conn.backup(target)
    finally:
        target.close()
    for side in service.path.parent.iterdir():
        if side.name.startswith(service.path.name) and side.suffix in _SIDE_FILES:
            shutil.copy2(side, folder / ("ltc.db" + side.suffix))
    copy = AssessmentService(folder / "ltc.db", clock=Clock(), key=key)
    _issue_keys(copy, admin, users)
    copy.close()
    return folder


def _issue_keys(service: AssessmentService, admin: User, users: tuple[str, ...]) -> None:
    service.init_root(admin, "示例机构", "root-passphrase")
    for user in users:
        service.issue_certificate(admin, user, "root-passphrase", f"{user}-password")


def complete_barthel(world: World, values: int = 10) -> int:
    """A barthel assessment by a1 (+a2) with every required answer and signature: ready to submit."""
    s = world.service
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel",
                                                           assessor2_id=world.a2.id, informant_name="王小明"))
    for i in range(1, 11):
        s.save_answer(world.a1, record.id, f"BI.{i}", 5 if i in (2, 3) else values)
    for role in ("assessor1", "assessor2", "informant"):
        s.save_signature(world.a1, record.id, role, PNG)
    return record.id
