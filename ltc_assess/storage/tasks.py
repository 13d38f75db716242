"""Visit tasks pulled from the office server, kept on the laptop so they can be started offline."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def put_tasks(db: Database, tasks: list[dict[str, Any]]) -> None:
    """Store the server's view of these tasks (the local link to a started assessment is kept)."""
    for t in tasks:
        local = db.execute("SELECT assessment_uid FROM visit_tasks WHERE uid = ?", [t["uid"]]).fetchone()
        link = t["assessment_uid"] or (local[0] if local else None)
        db.table("visit_tasks").upsert(
            {
                "uid": t["uid"],
                "person_json": json.dumps(t["person"], ensure_ascii=False),
                "form_ref": t["form_ref"],
                "assessor_a": t["assessor_a"],
                "assessor_b": t["assessor_b"],
                "expert": t["expert"],
                "due_date": str(t["due_date"]),
                "note": t["note"],
                "state": t["state"],
                "assessment_uid": link,
                "linked_on_server": int(t["assessment_uid"] is not None),
            },
            pk="uid",
        )


def tasks(db: Database, username: str | None = None) -> list[dict[str, Any]]:
    where, args = ("WHERE assessor_a = ? OR assessor_b = ?", [username, username]) if username else ("", [])
    rows = db.query(f"SELECT * FROM visit_tasks {where} ORDER BY due_date, uid", args)
    return [{**r, "person": json.loads(r.pop("person_json"))} for r in rows]


def link(db: Database, task_uid: str, assessment_uid: str) -> None:
    db.execute("UPDATE visit_tasks SET assessment_uid = ? WHERE uid = ?", [assessment_uid, task_uid])


def unsent_links(db: Database) -> list[tuple[str, str]]:
    """(task, assessment) links made here that the server does not know yet."""
    rows = db.execute(
        "SELECT uid, assessment_uid FROM visit_tasks WHERE assessment_uid IS NOT NULL AND linked_on_server = 0"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]
