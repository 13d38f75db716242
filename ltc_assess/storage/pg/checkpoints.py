"""The server's signed audit checkpoints, and the audit rows they name."""

from __future__ import annotations

from typing import Any

from ltc_assess.storage.pg.repository import PgStore, now


def head(store: PgStore) -> tuple[int, str] | None:
    """The last audit row's id and hash: what a checkpoint signs."""
    row = store.one("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
    return None if row is None else (int(row["id"]), str(row["hash"]))


def hash_at(store: PgStore, audit_id: int) -> str | None:
    row = store.one("SELECT hash FROM audit WHERE id = %s", [audit_id])
    return None if row is None else str(row["hash"])


def add(store: PgStore, audit_id: int, payload: str, signature: bytes, signed_by: str) -> int:
    row = store.one(
        "INSERT INTO audit_checkpoints (audit_id, payload, signature, signed_by, received_at)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        [audit_id, payload, signature, signed_by, now()],
    )
    return int(row["id"])  # type: ignore[index]


def rows(store: PgStore) -> list[dict[str, Any]]:
    return store.rows("SELECT id, audit_id, payload, signature FROM audit_checkpoints ORDER BY id")
