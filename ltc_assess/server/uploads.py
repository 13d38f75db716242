"""Resumable uploads of bundle files, named by their SHA-256.

A client that was cut off at any byte asks how much arrived and sends the rest; a chunk is accepted only at
exactly the offset the server holds, so nothing is written twice. A complete upload is queued for verification
(``server.queue``), once: queuing it again gives the same entry.
"""

from __future__ import annotations

from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.storage.pg import uploads as rows
from ltc_assess.storage.pg.repository import PgStore


def start(store: PgStore, sha256: str, size: int, username: str) -> dict[str, Any]:
    rows.create(store, sha256, username, size)
    found = state(store, sha256)
    if found["size"] != size:
        raise AppError(
            ErrorCode.CONFLICT,
            _("上传 {upload} 开始时为 {started} 字节，而不是 {size}").format(
                upload=sha256[:12], started=found["size"], size=size
            ),
        )
    return found


def state(store: PgStore, sha256: str, lock: bool = False) -> dict[str, Any]:
    row = rows.row(store, sha256, lock)
    if row is None:
        raise AppError(ErrorCode.NOT_FOUND, _("没有上传 {upload}（请先开始上传）").format(upload=sha256[:12]))
    return {"sha256": sha256} | row


def append(store: PgStore, sha256: str, offset: int, data: bytes) -> dict[str, Any]:
    found = state(store, sha256, lock=True)  # one writer per upload
    if offset != found["received"]:
        raise AppError(
            ErrorCode.CONFLICT,
            _("上传 {upload} 已有 {received} 字节，而不是 {offset}").format(
                upload=sha256[:12], received=found["received"], offset=offset
            ),
        )
    if offset + len(data) > found["size"]:
        raise AppError(
            ErrorCode.CONFLICT,
            _("上传 {upload}：字节数超过声明的 {size}").format(upload=sha256[:12], size=found["size"]),
        )
    if data:
        rows.add_chunk(store, sha256, offset, data)
    return found | {"received": offset + len(data)}
