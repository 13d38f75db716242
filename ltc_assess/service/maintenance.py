"""Maintenance: the database's health check, the audit trail as CSV, online backups."""

from __future__ import annotations

from pathlib import Path

from ltc_assess.i18n import _
from ltc_assess.service.base import Manager
from ltc_assess.storage import at_rest, audit
from ltc_assess.storage.triggers import sqlite_problems


class Maintenance(Manager):
    """What an admin runs to keep the database sound."""

    def check(self) -> list[str]:
        """Problems found by SQLite's integrity check, the audit chain and ``integrity`` (empty = healthy)."""
        problems = sqlite_problems(self.service.db)
        report = audit.verify(self.service.db)
        if not report.ok:
            problems.append(report.problem or _("审计链已断开"))
        from ltc_assess.service import integrity

        return problems + integrity.problems(self.service)

    def audit_csv(self) -> str:
        return audit.to_csv(self.service.db)

    def backup(self, out: Path) -> Path:
        """Online backup: consistent even while the app is writing, encrypted like the database, 0600."""
        return at_rest.backup(self.service.db, out, self.service.database_key(), self.service.path)
