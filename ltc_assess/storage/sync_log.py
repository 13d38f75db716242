"""What exchanging records leaves behind: the bundles seen, the conflicts waiting for a supervisor, the hash each
record had when a bundle last carried it, and the review thread as it arrived."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class SyncLog:
    """The bundle and conflict tables (part of ``Store``)."""

    db: Database

    def bundle_seen(self, bundle_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM bundles WHERE bundle_id = ?", [bundle_id]).fetchone() is not None

    def log_bundle(self, bundle_id: str, direction: str, at: str, actor_id: int, summary: dict[str, Any]) -> None:
        self.db.table("bundles").insert(
            {
                "bundle_id": bundle_id,
                "direction": direction,
                "at": at,
                "actor_id": actor_id,
                "summary_json": _dumps(summary),
            }
        )

    def add_conflict(self, uid: str, bundle_id: str, at: str, incoming: dict[str, Any]) -> None:
        self.db.table("conflicts").insert(
            {"assessment_uid": uid, "bundle_id": bundle_id, "detected_at": at, "incoming_json": _dumps(incoming)}
        )

    def open_conflicts(self) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT id, assessment_uid, bundle_id, detected_at FROM conflicts WHERE resolved_at IS NULL ORDER BY id"
            )
        )

    def set_sync_hash(self, assessment_id: int, content_hash: str) -> None:
        self.db.execute("UPDATE assessments SET sync_hash = ? WHERE id = ?", [content_hash, assessment_id])

    def replace_comments(self, assessment_id: int, comments: list[dict[str, Any]]) -> None:
        """The review thread exactly as given (author ids, bodies, times)."""
        self.db.execute("DELETE FROM review_comments WHERE assessment_id = ?", [assessment_id])
        for c in comments:
            self.db.table("review_comments").insert({"assessment_id": assessment_id, **c})

    def conflict(self, conflict_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM conflicts WHERE id = ? AND resolved_at IS NULL", [conflict_id]))
        return rows[0] if rows else None

    def close_conflict(self, conflict_id: int, at: str, resolution: str) -> None:
        self.db.execute(
            "UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE id = ?", [at, resolution, conflict_id]
        )
