"""Failed-login counters and their audit events, kept beside the database (``<db>.logins``, JSON, 0600).

Why outside the database: a wrong password cannot open an encrypted file, so the failure cannot be written
into it. Failures wait here and go into the audit chain when the database is next opened.

Lockout is per account *and source* (the OS account or terminal that tried): five failures from one source
block that source for 15 minutes, then it may try again, and an admin can unlock at once (``users unlock``).
A stranger therefore cannot keep the owner out of their account from another source, nor forever.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ltc_assess.files import write_private

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
MAX_PENDING = 1000  # a flood of failures while the file is closed cannot grow the file without bound


def guard_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".logins")


def _key(username: str, source: str) -> str:
    return f"{username}\x1f{source}"


@dataclass
class LoginGuard:
    """Counters per (username, source) and failed logins not yet in the audit log."""

    path: Path
    counters: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, db_path: Path) -> LoginGuard:
        path = guard_path(Path(db_path))
        try:
            data = json.loads(path.read_bytes())
            counters, pending = dict(data["counters"]), list(data["pending"])
        except (OSError, ValueError, KeyError, TypeError):
            return cls(path)  # missing or damaged: start afresh (the audit chain keeps what was already flushed)
        return cls(path, counters, pending)

    def blocked(self, username: str, source: str, now: dt.datetime) -> bool:
        entry = self.counters.get(_key(username, source)) or {}
        until = entry.get("until")
        try:
            return bool(until) and dt.datetime.fromisoformat(str(until)) > now
        except ValueError:
            return False

    def locked_out(self, username: str, now: dt.datetime) -> bool:
        """Whether any source is blocked for ``username`` (what the admin sees in ``users list``)."""
        sources = [k.split("\x1f", 1)[1] for k in self.counters if k.split("\x1f", 1)[0] == username]
        return any(self.blocked(username, s, now) for s in sources)

    def failed(self, username: str, source: str, now: dt.datetime) -> dict[str, Any]:
        """Count one failure (locking the source after ``MAX_FAILURES``); returns the audit event to record."""
        entry = self.counters.setdefault(_key(username, source), {"count": 0, "until": None})
        entry["count"] = int(entry.get("count") or 0) + 1
        if entry["count"] >= MAX_FAILURES:
            entry.update(count=0, until=(now + LOCKOUT).isoformat(timespec="seconds"))
        return {"at": now.isoformat(timespec="seconds"), "username": username, "source": source,
                "locked_until": entry["until"]}

    def succeeded(self, username: str, source: str) -> None:
        self.counters.pop(_key(username, source), None)

    def unlock(self, username: str) -> None:
        for k in [k for k in self.counters if k.split("\x1f", 1)[0] == username]:
            del self.counters[k]

    def defer(self, event: dict[str, Any]) -> None:
        self.pending = [*self.pending, event][-MAX_PENDING:]

    def take_pending(self) -> list[dict[str, Any]]:
        events, self.pending = self.pending, []
        return [e for e in events if isinstance(e, dict)]

    def save(self) -> None:
        data = {"counters": self.counters, "pending": self.pending}
        write_private(self.path, json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))
