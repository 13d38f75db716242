"""The server's copy of each record's on-site visit, as its submitting assessor signed it (``visit_evidence``):
kept beside the record so that every installation pulling it gets the people on site, and read back into the
record in its travelling shape. Whether a visit is signed is decided before this is called, never here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import dict_row

if TYPE_CHECKING:
    from ltc_assess.storage.pg.repository import PgStore

PEOPLE = ("username", "check_in_at", "check_in_place", "check_out_at", "check_out_place")
CHECKS = ("identity_checked", "guardian_present", "guardian_name", "recorded_by", "recorded_at")


def put(con: psycopg.Connection, assessment_id: int, visit: Mapping[str, Any]) -> None:
    """Make the held visit of ``assessment_id`` exactly ``visit`` (the same visit twice: one record)."""
    con.execute("DELETE FROM visit_people WHERE assessment_id = %s", [assessment_id])
    con.execute("DELETE FROM visits WHERE assessment_id = %s", [assessment_id])
    checks = visit["checks"] or {}
    con.execute(
        "INSERT INTO visits (assessment_id, identity_checked, guardian_present, guardian_name, recorded_by,"
        " recorded_at) VALUES (%s, %s, %s, %s, %s, %s)",
        [assessment_id, *(checks.get(k) for k in CHECKS)],
    )
    for p in visit["people"]:
        con.execute(
            "INSERT INTO visit_people (assessment_id, username, check_in_at, check_in_place, check_out_at,"
            " check_out_place) VALUES (%s, %s, %s, %s, %s, %s)",
            [assessment_id, p["user"], *(p[k] for k in PEOPLE[1:])],
        )


def get(con: psycopg.Connection, assessment_id: int) -> dict[str, Any] | None:
    """The held visit in its travelling shape, None when the record came without a signed visit."""
    with con.cursor(row_factory=dict_row) as cur:
        head = cur.execute("SELECT * FROM visits WHERE assessment_id = %s", [assessment_id]).fetchone()
        if head is None:
            return None
        people = cur.execute(
            "SELECT * FROM visit_people WHERE assessment_id = %s ORDER BY check_in_at, username", [assessment_id]
        ).fetchall()
    return {
        "people": [{"user": p["username"], **{k: p[k] for k in PEOPLE[1:]}} for p in people],
        "checks": None if head["recorded_by"] is None else {k: head[k] for k in CHECKS},
    }



def on_site(store: PgStore, uid: str) -> set[str]:
    """Usernames on the held signed visit of assessment ``uid``."""
    rows = store.rows(
        "SELECT p.username FROM visit_people p JOIN assessments a ON a.id = p.assessment_id WHERE a.uid = %s", [uid]
    )
    return {r["username"] for r in rows}
