"""Copies of the database that stay encrypted: online backups, and encrypting a plain database in place."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlite_utils import Database

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.files import private_dir, restrict, touch_private, write_private
from ltc_assess.i18n import _
from ltc_assess.storage.db import DatabaseError, is_plain, raw_connection
from ltc_assess.storage.keyslots import KeySlots, slots_path


def backup(db: Database, out: Path, key: bytes | None, source: Path) -> Path:
    """Online backup (SQLite backup API, consistent while the app writes) under the same key, 0600, with a copy
    of the key slots beside it so that the same passwords open it."""
    private_dir(out.parent)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.unlink(missing_ok=True)
    touch_private(tmp)
    target = raw_connection(tmp, key)
    try:
        db.conn.backup(target)
    finally:
        target.close()
    os.replace(tmp, out)
    restrict(out)
    if key is not None and slots_path(source).exists():
        write_private(slots_path(out), slots_path(source).read_bytes())
    return out


def encrypt_in_place(path: Path, key: bytes) -> None:
    """Rewrite the plain database at ``path`` encrypted with ``key``, sealing the key for every account from its
    login hash (``KeySlots.put_from_login_hash``). Every row is copied (``sqlcipher_export``); the plain file is
    replaced only once the encrypted copy is complete, and its WAL is checkpointed and removed."""
    if not is_plain(path):
        raise AppError(ErrorCode.CONFLICT, _("{path} 已经加密").format(path=path))
    tmp = path.with_name(f".{path.name}.encrypting")
    tmp.unlink(missing_ok=True)
    touch_private(tmp)
    conn = raw_connection(path, None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        users = conn.execute("SELECT username, password_hash FROM users").fetchall()
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", [str(tmp)])
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute("DETACH DATABASE encrypted")
    except DatabaseError as exc:
        tmp.unlink(missing_ok=True)
        raise AppError(ErrorCode.INTEGRITY, _("{path}：无法加密（{exc}）").format(path=path, exc=exc)) from None
    finally:
        conn.close()
    slots = KeySlots(slots_path(path))
    for username, password_hash in users:
        slots.put_from_login_hash(str(username), str(password_hash), key)
    pending = slots.path.with_name(slots.path.name + ".new")
    KeySlots(pending, slots.slots).save()
    os.replace(tmp, path)
    os.replace(pending, slots.path)
    for side in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path.with_name(path.name + side))
    restrict(path)

