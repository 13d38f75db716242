"""Bundle uploads in progress: their announced size, the bytes received (in chunks) and the applied result."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from ltc_assess.storage.pg.repository import PgStore, now


def create(store: PgStore, sha256: str, username: str, size: int) -> None:
    store.con.execute(
        "INSERT INTO uploads (sha256, username, size, created_at) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        [sha256, username, size, now()],
    )


def row(store: PgStore, sha256: str, lock: bool = False) -> dict[str, Any] | None:
    """size, received, result; ``lock`` holds the row until the transaction ends (one writer per upload)."""
    return store.one(
        "SELECT size, received, result FROM uploads WHERE sha256 = %s" + (" FOR UPDATE" if lock else ""), [sha256]
    )


def add_chunk(store: PgStore, sha256: str, start: int, data: bytes) -> None:
    store.con.execute("INSERT INTO upload_chunks VALUES (%s, %s, %s)", [sha256, start, data])
    store.con.execute("UPDATE uploads SET received = %s WHERE sha256 = %s", [start + len(data), sha256])


def content(store: PgStore, sha256: str) -> bytes:
    chunks = store.con.execute("SELECT data FROM upload_chunks WHERE sha256 = %s ORDER BY start", [sha256]).fetchall()
    return b"".join(bytes(c[0]) for c in chunks)


def reset(store: PgStore, sha256: str) -> None:
    store.con.execute("DELETE FROM upload_chunks WHERE sha256 = %s", [sha256])
    store.con.execute("UPDATE uploads SET received = 0 WHERE sha256 = %s", [sha256])


def finish(store: PgStore, sha256: str, result: dict[str, Any]) -> None:
    """Keep the result (a repeated apply returns it) and drop the bytes."""
    store.con.execute("UPDATE uploads SET result = %s WHERE sha256 = %s", [Jsonb(result), sha256])
    store.con.execute("DELETE FROM upload_chunks WHERE sha256 = %s", [sha256])
