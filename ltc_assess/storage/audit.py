"""Append-only, hash-chained audit log: who did what, when, old → new, and why.

Each row's hash covers its content and the previous row's hash, so a row edited or removed behind the
application's back breaks the chain at that row. Triggers forbid UPDATE/DELETE through SQLite; the chain
catches whoever bypasses them (e.g. drops the triggers or edits the file).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from ltc_assess.i18n import _

GENESIS = "0" * 64
FIELDS = ("id", "at", "actor_id", "action", "entity", "entity_id", "old_json", "new_json", "reason")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def digest(value: Any) -> dict[str, str] | None:
    """An answer as the log keeps it: its SHA-256, never the value (an answer cleared later must not stay readable
    here, and rows cannot be redacted). A claimed value is checked by hashing it again."""
    if value is None:
        return None
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return {"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def row_hash(row: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over the previous hash and the row's fields in a fixed order."""
    payload = json.dumps([prev_hash, *[row.get(f) for f in FIELDS]], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    db: Database,
    *,
    at: str,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: Any,
    old: Any = None,
    new: Any = None,
    reason: str | None = None,
) -> None:
    """Add one event (call inside the transaction of the change it records)."""
    last = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = last[1] if last else GENESIS
    row = {
        "id": (last[0] + 1) if last else 1,
        "at": at,
        "actor_id": actor_id,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "old_json": _json(old),
        "new_json": _json(new),
        "reason": reason,
    }
    row["prev_hash"] = prev_hash
    row["hash"] = row_hash(row, prev_hash)
    db.table("audit").insert(row)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Result of verifying the chain: rows checked and the first broken row, if any."""

    rows: int
    broken_at: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(db: Database) -> ChainReport:
    """Walk the chain from the start; report the first row whose link or content does not check out."""
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    for row in db.query("SELECT * FROM audit ORDER BY id"):
        count += 1
        if row["id"] != expected_id:
            return ChainReport(count, expected_id, _("审计记录 {id} 缺失").format(id=expected_id))
        if row["prev_hash"] != prev_hash:
            return ChainReport(count, row["id"], _("审计记录 {id} 未链接到前一条记录").format(id=row["id"]))
        if row_hash(row, prev_hash) != row["hash"]:
            return ChainReport(count, row["id"], _("审计记录 {id} 在写入后被修改").format(id=row["id"]))
        prev_hash = row["hash"]
        expected_id += 1
    return ChainReport(count, None, None)


def head(db: Database) -> tuple[int, str] | None:
    """The last row's id and hash: what a checkpoint signs."""
    row = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def hash_at(db: Database, audit_id: int) -> str | None:
    row = db.execute("SELECT hash FROM audit WHERE id = ?", [audit_id]).fetchone()
    return None if row is None else str(row[0])


def add_checkpoint(db: Database, audit_id: int, payload: str, signature: bytes) -> None:
    db.table("audit_checkpoints").insert({"audit_id": audit_id, "payload": payload, "signature": signature})


def checkpoints(db: Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT id, audit_id, payload, signature FROM audit_checkpoints ORDER BY id"))


def events(db: Database, entity: str, actions: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows about ``entity`` with one of ``actions``, oldest first (for checking records against their history)."""
    marks = ", ".join("?" for _ in actions)
    return list(
        db.query(
            f"SELECT * FROM audit WHERE entity = ? AND action IN ({marks}) ORDER BY id",
            [entity, *actions],
        )
    )


def to_csv(db: Database) -> str:
    """The whole log as CSV (UTF-8 with BOM so that Excel opens Chinese text correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = [*FIELDS, "prev_hash", "hash"]
    writer.writerow(columns)
    for row in db.query("SELECT * FROM audit ORDER BY id"):
        writer.writerow([row[c] for c in columns])
    return "\ufeff" + out.getvalue()


def entity_history(db: Database, entity: str, entity_id: int | str) -> list[dict[str, Any]]:
    """One entity's audit events, oldest first (an assessment's status history is read from them)."""
    return list(
        db.query(
            "SELECT at, actor_id, action, old_json, new_json, reason FROM audit"
            " WHERE entity = ? AND entity_id = ? ORDER BY id",
            [entity, str(entity_id)],
        )
    )
