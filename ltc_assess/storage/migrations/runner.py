"""The migration runner: the ordered list of named steps (sqlite-utils ``Migrations``) and how a step runs its
SQL. The steps themselves live beside it, one module per era, registered in order by the package."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("ltc_assess")


def execute_script(db: Database, script: str) -> None:
    """Run statements one by one: ``executescript`` would COMMIT the migration's open transaction."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            db.execute(buffer)
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buffer.strip()[:60]}")


def apply_migrations(db: Database) -> list[str]:
    """Apply pending steps; returns the names applied."""
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


def schema_version(db: Database) -> str | None:
    """Name of the last applied step (the schema version)."""
    applied = migrations.applied(db)
    return applied[-1].name if applied else None
