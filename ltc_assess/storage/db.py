"""Opening the database: one SQLCipher file, WAL, durable commits, migrations applied.

``synchronous=FULL`` in WAL mode syncs the log on every commit, so an answer the UI showed as saved
survives a crash or power loss (NORMAL could lose the last commits on power loss).

Every page of the file and of its WAL is encrypted (SQLCipher, AES-256) with a random 32-byte key given raw
(``x'HEX'``: no passphrase KDF on open; the key is itself sealed per user, see ``keyslots``). Without a key
the same library opens plain SQLite files (databases from before encryption; ``db encrypt`` converts them).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3
from sqlite_utils import Database

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.files import restrict, touch_private
from ltc_assess.i18n import _
from ltc_assess.storage.migrations import apply_migrations

KEY_BYTES = 32
PLAIN_HEADER = b"SQLite format 3\x00"
# Errors of either driver (sqlite-utils and old code raise the stdlib's, the connection SQLCipher's).
DatabaseError = (sqlite3.DatabaseError, sqlcipher3.DatabaseError)
IntegrityError = (sqlite3.IntegrityError, sqlcipher3.IntegrityError)


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def is_plain(path: Path) -> bool:
    """True for an unencrypted SQLite file (or an empty/missing one)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(PLAIN_HEADER))
    except FileNotFoundError:
        return False
    return head in (b"", PLAIN_HEADER)


def raw_connection(path: str | Path, key: bytes | None) -> sqlcipher3.Connection:
    """A bare connection to the file, keyed when ``key`` is given (the first statement on it, as SQLCipher needs)."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, timeout=10)
    if key is not None:
        conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key would log 'hmac check failed' to stderr
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def connect(path: str | Path, key: bytes | None = None) -> Database:
    """Open (creating if needed, 0600 in a 0700 folder) and upgrade the database at ``path``."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise AppError(ErrorCode.INVALID, _("{path} 是文件夹，不是数据库文件").format(path=path))
    touch_private(path)
    try:
        # Autocommit mode: every transaction is an explicit BEGIN..COMMIT from ``db.atomic()``.
        conn = raw_connection(path, key)
        conn.execute("SELECT count(*) FROM sqlite_master")  # a wrong key fails here: "file is not a database"
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        db = Database(conn)
        apply_migrations(db)
    except DatabaseError as exc:
        raise AppError(
            ErrorCode.INTEGRITY, _("{path}：不是可用的 ltc-assess 数据库（{exc}）").format(path=path, exc=exc)
        ) from None
    for side in ("-wal", "-shm"):
        restrict(path.with_name(path.name + side))
    return db


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One atomic, durable unit of work; trigger refusals become clear errors."""
    try:
        with db.atomic():
            yield db
    except IntegrityError as exc:
        message = str(exc)
        code = ErrorCode.LOCKED if "immutable" in message or "cannot" in message else ErrorCode.CONFLICT
        raise AppError(code, _("数据库拒绝了此修改：{reason}").format(reason=message)) from None
