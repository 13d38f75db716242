"""Visit tasks on the server, and the rows the insurer API reads."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from ltc_assess.storage.pg.repository import PgStore, now

COLUMNS = ("uid", "person", "form_ref", "assessor_a", "assessor_b", "expert", "due_date", "note", "created_by")


def insert(store: PgStore, task: dict[str, Any]) -> None:
    store.con.execute(
        f"INSERT INTO tasks ({', '.join(COLUMNS)}, created_at) VALUES ({', '.join(['%s'] * len(COLUMNS))}, %s)",
        [Jsonb(task[c]) if c == "person" else task[c] for c in COLUMNS] + [now()],
    )


def rows(store: PgStore, assessor: str | None = None) -> list[dict[str, Any]]:
    """Tasks (every one, or those of ``assessor`` as A or B) with the status of their linked assessment."""
    where = "WHERE t.assessor_a = %(who)s OR t.assessor_b = %(who)s" if assessor else ""
    return store.rows(
        f"SELECT {', '.join('t.' + c for c in COLUMNS)}, t.assessment_uid, a.status FROM tasks t"
        f" LEFT JOIN assessments a ON a.uid = t.assessment_uid {where} ORDER BY t.due_date, t.uid",
        {"who": assessor},
    )


def set_link(store: PgStore, task_uid: str, assessment_uid: str) -> None:
    store.con.execute("UPDATE tasks SET assessment_uid = %s WHERE uid = %s", [assessment_uid, task_uid])


def decision_rows(store: PgStore, since: int, limit: int) -> list[dict[str, Any]]:
    return store.rows(
        "SELECT id, uid, seq, status, record FROM assessments WHERE status IN ('approved', 'superseded')"
        " AND seq > %s ORDER BY seq LIMIT %s",
        [since, limit],
    )


def decided_id(store: PgStore, uid: str) -> int | None:
    found = store.one("SELECT id FROM assessments WHERE uid = %s AND status IN ('approved', 'superseded')", [uid])
    return None if found is None else int(found["id"])
