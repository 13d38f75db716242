"""Opening the database: one SQLite file, WAL, durable commits, migrations applied.

``synchronous=FULL`` in WAL mode syncs the log on every commit, so an answer the UI showed as saved
survives a crash or power loss (NORMAL could lose the last commits on power loss).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.storage.migrations import apply_migrations


def connect(path: str | Path) -> Database:
    """Open (creating if needed) and upgrade the database at ``path``."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise AppError(ErrorCode.INVALID, f"{path} is a folder, not a database file")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Autocommit mode: every transaction is an explicit BEGIN..COMMIT from ``db.atomic()``.
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        db = Database(conn)
        apply_migrations(db)
    except sqlite3.DatabaseError as exc:
        raise AppError(ErrorCode.INTEGRITY, f"{path}: not a usable ltc-assess database ({exc})") from None
    return db


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One atomic, durable unit of work; trigger refusals become clear errors."""
    try:
        with db.atomic():
            yield db
    except sqlite3.IntegrityError as exc:
        message = str(exc)
        code = ErrorCode.LOCKED if "immutable" in message or "cannot" in message else ErrorCode.CONFLICT
        raise AppError(code, message) from None
