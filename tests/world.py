"""A small world for service and UI tests: a real SQLite file with users of every role and one person."""

from __future__ import annotations

import datetime as dt
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


def make_world(tmp_path: Path) -> Iterator[World]:
    """Users admin, a1–a3 (assessors), sup1–sup2 (supervisors), passwords '<name>-password'; one subject."""
    clock = Clock()
    service = AssessmentService(tmp_path / "ltc.db", clock=clock)
    admin = service.create_first_admin("admin", "管理员", "admin-pass")
    users = {name: service.add_user(admin, name, f"{name} 名", role, f"{name}-password")
             for name, role in (("a1", "assessor"), ("a2", "assessor"), ("a3", "assessor"),
                                ("sup1", "supervisor"), ("sup2", "supervisor"))}
    subject, _ = service.register_subject(users["a1"], name="王秀英", sex="female", id_number=id_number(),
                                          phone="13800001234", district="东城区")
    yield World(service, clock, admin, users["a1"], users["a2"], users["a3"], users["sup1"], users["sup2"], subject)
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
    """The agency's signing root and a certificate for each of ``users`` (key password: '<user>-password')."""
    world.service.init_root(world.admin, "示例机构", "root-passphrase")
    for user in users:
        world.service.issue_certificate(world.admin, user, "root-passphrase", f"{user}-password")


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
