"""The server's signed after-the-decision records (``lifecycle_records``): kept once per fact, read back for
laptops (by change cursor) and for insurers (per decision, and the 公示 list)."""

from __future__ import annotations

import json
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.storage.pg.repository import PgStore, now
from ltc_assess.workflow import Role


def payload(store: PgStore, slot: str) -> dict[str, Any] | None:
    row = store.one("SELECT payload FROM lifecycle_records WHERE slot = %s", [slot])
    return None if row is None else dict(json.loads(row["payload"]))


def put(store: PgStore, row: dict[str, Any]) -> bool:
    """Keep a signed record, and move its decision past the change cursor (insurers read it again, with it).
    False when this very fact is held already; a different fact in its slot (a push that raced ours past the
    judging) is refused by name, never a constraint error."""
    kept = store.rows(
        "INSERT INTO lifecycle_records (fact, slot, kind, assessment_uid, payload, signature, attachment, signer,"
        " received_at) VALUES (%(fact)s, %(slot)s, %(kind)s, %(assessment_uid)s, %(payload)s, %(signature)s,"
        " %(attachment)s, %(signer)s, %(at)s) ON CONFLICT DO NOTHING RETURNING fact",
        row | {"at": now()},
    )
    if not kept:
        held = store.one("SELECT fact FROM lifecycle_records WHERE slot = %s", [row["slot"]])
        if held is not None and held["fact"] == row["fact"]:
            return False
        raise AppError(
            ErrorCode.CONFLICT, _("{slot} 已有另一条记录（同时推送的另一数据包所写）").format(slot=row["slot"])
        )
    store.con.execute("UPDATE assessments SET seq = nextval('change_seq') WHERE uid = %s", [row["assessment_uid"]])
    return True


def since(store: PgStore, username: str, role: str, cursor: int, limit: int) -> list[dict[str, Any]]:
    """Records after ``cursor`` that concern ``username`` (a supervisor: all; an assessor: their assessments)."""
    where = "true" if role == Role.SUPERVISOR else "(a.assessor1 = %(user)s OR a.assessor2 = %(user)s)"
    return store.rows(
        "SELECT l.kind, l.payload, l.signature, l.attachment, l.seq FROM lifecycle_records l"
        f" JOIN assessments a ON a.uid = l.assessment_uid WHERE l.seq > %(since)s AND {where}"
        " ORDER BY l.seq LIMIT %(limit)s",
        {"user": username, "since": cursor, "limit": limit},
    )


def of(store: PgStore, uid: str) -> dict[str, dict[str, Any]]:
    """The newest record of each kind for one assessment, as payloads."""
    rows = store.rows("SELECT kind, payload FROM lifecycle_records WHERE assessment_uid = %s ORDER BY seq", [uid])
    return {r["kind"]: dict(json.loads(r["payload"])) for r in rows}


def count(store: PgStore, uid: str, kind: str) -> int:
    row = store.one("SELECT count(*) AS n FROM lifecycle_records WHERE assessment_uid = %s AND kind = %s", [uid, kind])
    return int(row["n"]) if row else 0


def letter(store: PgStore, uid: str) -> bytes | None:
    row = store.one(
        "SELECT attachment FROM lifecycle_records WHERE assessment_uid = %s AND kind = 'letter'"
        " ORDER BY seq DESC LIMIT 1",
        [uid],
    )
    return None if row is None else bytes(row["attachment"])


def published(store: PgStore, date_from: str, date_to: str) -> list[dict[str, Any]]:
    """The 公示 records published in the range whose decision stands (approved), with the decision's record."""
    return store.rows(
        "SELECT l.payload, a.uid, a.record FROM lifecycle_records l JOIN assessments a ON a.uid = l.assessment_uid"
        " WHERE l.kind = 'publicity' AND a.status = 'approved'"
        " AND (l.payload::jsonb ->> 'published_at') BETWEEN %s AND %s"
        " ORDER BY l.payload::jsonb ->> 'published_at', a.uid",
        [date_from, date_to],
    )


def every(store: PgStore, uid: str | None = None) -> list[dict[str, Any]]:
    """The signed records (of one assessment with ``uid``) as ``lifecycle_records.recheck`` judges them."""
    rows = store.rows(
        "SELECT kind, payload, signature, attachment, assessment_uid FROM lifecycle_records"
        " WHERE %(uid)s::text IS NULL OR assessment_uid = %(uid)s ORDER BY seq",
        {"uid": uid},
    )
    for row in rows:
        row["signature"] = bytes(row["signature"])
        row["attachment"] = None if row["attachment"] is None else bytes(row["attachment"])
    return rows


def reviews_of(store: PgStore, uid: str) -> list[dict[str, Any]]:
    """The decided 复评 whose record names ``uid`` as the original (unchecked: their signed approvals say whether
    they did), with their signed approvals, oldest approval first."""
    rows = store.rows(
        "SELECT id, uid FROM assessments WHERE record ->> 'reviews' = %s AND status IN ('approved', 'superseded')"
        " ORDER BY record #>> '{fields,approved_at}', id",
        [uid],
    )
    return [r | {"approvals": [e for e in store.signed_records(r["id"]) if e["kind"] == "approval"]} for r in rows]


def touch(store: PgStore, uid: str) -> None:
    """Move a decision past the change cursor: what insurers read of it changed (a 复评 confirmed it)."""
    store.con.execute("UPDATE assessments SET seq = nextval('change_seq') WHERE uid = %s", [uid])
