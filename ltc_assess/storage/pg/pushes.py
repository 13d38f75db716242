"""The push queue: one entry per uploaded bundle, queued when acknowledged, applied or refused by a verifier.

An entry is claimed with ``FOR UPDATE SKIP LOCKED`` inside the transaction that verifies and applies it, so a
verifier killed half-way leaves its transaction rolled back and the entry queued for the next one; two verifiers
never hold one entry. A user's pushes are applied in the order they were queued (a later bundle may carry a
newer version of a record an earlier one carries).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ltc_assess.storage.pg.repository import PgStore, now

COLUMNS = "id, sha256, username, language, state, queued_at, done_at, outcome"
DONE = "ltc_push_done"  # the channel on which a recorded outcome is announced (payload: the push id)


def enqueue(store: PgStore, sha256: str, username: str, language: str) -> dict[str, Any]:
    """The entry of this upload, queued now or found as it stands (one statement, idempotent: the same bundle
    gives the same entry). It does not wait for a verifier holding the entry."""
    rows = store.rows(
        f"""
        WITH new AS (
            INSERT INTO push_queue (sha256, username, language, state, queued_at)
            VALUES (%s, %s, %s, 'queued', %s) ON CONFLICT (sha256) DO NOTHING RETURNING {COLUMNS}
        )
        SELECT {COLUMNS} FROM new UNION ALL SELECT {COLUMNS} FROM push_queue WHERE sha256 = %s LIMIT 1
        """,
        [sha256, username, language, now(), sha256],
    )
    found = rows[0] if rows else by_sha(store, sha256)  # none: queued by another request since this one began
    assert found is not None
    return found


def by_id(store: PgStore, push_id: int) -> dict[str, Any] | None:
    return store.one(f"SELECT {COLUMNS} FROM push_queue WHERE id = %s", [push_id])


def by_sha(store: PgStore, sha256: str) -> dict[str, Any] | None:
    return store.one(f"SELECT {COLUMNS} FROM push_queue WHERE sha256 = %s", [sha256])


def claim(store: PgStore) -> dict[str, Any] | None:
    """The oldest queued entry no other verifier holds and no earlier queued push of its user precedes; locked
    until the caller's transaction ends."""
    return store.one(
        f"""
        SELECT {COLUMNS}, attempts FROM push_queue q
        WHERE state = 'queued' AND NOT EXISTS (
            SELECT 1 FROM push_queue e WHERE e.state = 'queued' AND e.username = q.username AND e.id < q.id
        )
        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
        """
    )


def finish(store: PgStore, push_id: int, state: str, outcome: dict[str, Any]) -> None:
    """Record the outcome (in the transaction that applied it) and drop the bundle's bytes."""
    (row,) = store.rows(
        "UPDATE push_queue SET state = %s, outcome = %s, done_at = %s WHERE id = %s RETURNING sha256",
        [state, Jsonb(outcome), now(), push_id],
    )
    if state == "applied":
        store.con.execute("UPDATE uploads SET result = %s WHERE sha256 = %s", [Jsonb(outcome), row["sha256"]])
    store.con.execute("DELETE FROM upload_chunks WHERE sha256 = %s", [row["sha256"]])
    store.con.execute("SELECT pg_notify(%s, %s)", [DONE, str(push_id)])  # delivered when this commits


def finished(conninfo: str, stop: threading.Event) -> Iterator[int]:
    """Ids of pushes whose outcome any process recorded, as their transactions commit, until ``stop`` is set."""
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute(f"LISTEN {DONE}")
        while not stop.is_set():
            for note in con.notifies(timeout=1.0):
                yield int(note.payload)


def failed(store: PgStore, push_id: int) -> int:
    """Count a verification that broke off with an unexpected error (not a refusal); the attempts so far."""
    (row,) = store.rows("UPDATE push_queue SET attempts = attempts + 1 WHERE id = %s RETURNING attempts", [push_id])
    return int(row["attempts"])


def waiting(store: PgStore) -> int:
    row = store.one("SELECT count(*) AS n FROM push_queue WHERE state = 'queued'")
    return int(row["n"]) if row else 0
