"""Resumable uploads of bundle files, named by their SHA-256.

A client that was cut off at any byte asks how much arrived and sends the rest; a chunk is accepted only at
exactly the offset the server holds, so nothing is written twice. Applying is idempotent: the first result is
stored with the upload and returned again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from psycopg.types.json import Jsonb

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.server.source import ServerSource
from ltc_assess.storage.pg.repository import PgStore, now

Applier = Callable[[ServerSource, bytes, str], dict[str, Any]]


def start(store: PgStore, sha256: str, size: int, username: str) -> dict[str, Any]:
    store.con.execute(
        "INSERT INTO uploads (sha256, username, size, created_at) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        [sha256, username, size, now()],
    )
    found = state(store, sha256)
    if found["size"] != size:
        raise AppError(ErrorCode.CONFLICT, f"upload {sha256[:12]} was started with {found['size']} bytes, not {size}")
    return found


def state(store: PgStore, sha256: str, lock: bool = False) -> dict[str, Any]:
    row = store.con.execute(
        "SELECT size, received, result FROM uploads WHERE sha256 = %s" + (" FOR UPDATE" if lock else ""), [sha256]
    ).fetchone()
    if row is None:
        raise AppError(ErrorCode.NOT_FOUND, f"no upload {sha256[:12]} (start it first)")
    return {"sha256": sha256, "size": row[0], "received": row[1], "result": row[2]}


def append(store: PgStore, sha256: str, offset: int, data: bytes) -> dict[str, Any]:
    found = state(store, sha256, lock=True)  # one writer per upload
    if offset != found["received"]:
        raise AppError(ErrorCode.CONFLICT, f"upload {sha256[:12]} holds {found['received']} bytes, not {offset}")
    if offset + len(data) > found["size"]:
        raise AppError(ErrorCode.INVALID, f"upload {sha256[:12]}: more bytes than announced ({found['size']})")
    if data:
        store.con.execute("INSERT INTO upload_chunks VALUES (%s, %s, %s)", [sha256, offset, data])
        store.con.execute("UPDATE uploads SET received = %s WHERE sha256 = %s", [offset + len(data), sha256])
    return found | {"received": offset + len(data)}


def apply(store: PgStore, sha256: str, username: str, applier: Applier) -> dict[str, Any]:
    found = state(store, sha256, lock=True)  # two applies of one upload run one after the other
    if found["result"] is not None:
        return found
    if found["received"] != found["size"]:
        raise AppError(ErrorCode.CONFLICT, f"upload {sha256[:12]} is incomplete ({found['received']}/{found['size']})")
    chunks = store.con.execute("SELECT data FROM upload_chunks WHERE sha256 = %s ORDER BY start", [sha256]).fetchall()
    data = b"".join(bytes(c[0]) for c in chunks)
    if hashlib.sha256(data).hexdigest() != sha256:
        store.con.execute("DELETE FROM upload_chunks WHERE sha256 = %s", [sha256])
        store.con.execute("UPDATE uploads SET received = 0 WHERE sha256 = %s", [sha256])
        return found | {"received": 0}  # the client sends it again
    result = applier(ServerSource(store), data, username)
    store.con.execute("UPDATE uploads SET result = %s WHERE sha256 = %s", [Jsonb(result), sha256])
    store.con.execute("DELETE FROM upload_chunks WHERE sha256 = %s", [sha256])
    return found | {"result": result}
