"""Which triggers a database must have: the ones its migrations create, found by migrating an empty database.

Triggers are the database's own guard (append-only audit, immutable approved records); a file where one was
dropped may have been edited behind the application's back, so ``db check`` names every missing one.
"""

from __future__ import annotations

import sqlite3
from functools import cache

from sqlite_utils import Database

from ltc_assess.storage.migrations import apply_migrations


def _trigger_names(db: Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()}


@cache
def expected_triggers() -> frozenset[str]:
    """Every trigger the current schema defines."""
    db = Database(sqlite3.connect(":memory:", isolation_level=None))
    try:
        apply_migrations(db)
        return frozenset(_trigger_names(db))
    finally:
        db.close()


def missing_triggers(db: Database) -> list[str]:
    """Triggers the schema defines that this database lacks, sorted."""
    return sorted(expected_triggers() - _trigger_names(db))


def sqlite_problems(db: Database) -> list[str]:
    """What SQLite's own integrity check finds wrong with the file (empty = sound)."""
    return [r[0] for r in db.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
