"""Reads and writes of the after-the-decision tables: the visit, expert confirmations, conclusions, objections.

Like ``Store`` it decides nothing and opens no transactions: the service and ``lifecycle`` do both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlite_utils import Database

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.storage.store import inserted_id


class LifecycleStore:
    """Data access for the lifecycle tables of one open database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- the on-site visit --------------------------------------------------------------------------

    def check_in(self, assessment_id: int, user_id: int, at: str, place: str) -> None:
        self.db.execute(
            "INSERT INTO visit_people (assessment_id, user_id, check_in_at, check_in_place) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (assessment_id, user_id) DO UPDATE SET check_in_at = excluded.check_in_at, "
            "check_in_place = excluded.check_in_place, check_out_at = NULL, check_out_place = NULL",
            [assessment_id, user_id, at, place],
        )

    def check_out(self, assessment_id: int, user_id: int, at: str, place: str) -> None:
        cur = self.db.execute(
            "UPDATE visit_people SET check_out_at = ?, check_out_place = ? WHERE assessment_id = ? AND user_id = ?",
            [at, place, assessment_id, user_id],
        )
        if cur.rowcount == 0:
            raise AppError(
                ErrorCode.TRANSITION,
                _("用户 {user_id} 未在评估 {assessment_id} 现场签到").format(
                    user_id=user_id, assessment_id=assessment_id
                ),
            )

    def visit_people(self, assessment_id: int) -> list[dict[str, Any]]:
        """Who was on site, with their qualification, in check-in order."""
        return list(
            self.db.query(
                "SELECT v.*, u.display_name, u.qualification FROM visit_people v JOIN users u ON u.id = v.user_id"
                " WHERE v.assessment_id = ? ORDER BY v.check_in_at, v.user_id",
                [assessment_id],
            )
        )

    def put_visit_checks(self, assessment_id: int, fields: dict[str, Any]) -> None:
        self.db.table("visit_checks").upsert({"assessment_id": assessment_id, **fields}, pk="assessment_id")

    def visit_checks(self, assessment_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM visit_checks WHERE assessment_id = ?", [assessment_id]))
        return rows[0] if rows else None

    def replace_visit(self, assessment_id: int, visit: Mapping[str, Any], ids: Mapping[str, int]) -> None:
        """Make the visit exactly ``visit`` as it travels (people by username, ``ids``: user ids by username)."""
        self.db.execute("DELETE FROM visit_people WHERE assessment_id = ?", [assessment_id])
        self.db.execute("DELETE FROM visit_checks WHERE assessment_id = ?", [assessment_id])
        for p in visit["people"]:
            self.db.execute(
                "INSERT INTO visit_people (assessment_id, user_id, check_in_at, check_in_place, check_out_at,"
                " check_out_place) VALUES (?, ?, ?, ?, ?, ?)",
                [assessment_id, ids[p["user"]], p["check_in_at"], p["check_in_place"], p["check_out_at"],
                 p["check_out_place"]],
            )  # fmt: skip
        checks = visit["checks"]
        if checks is not None:
            self.put_visit_checks(
                assessment_id,
                {
                    "identity_checked": int(checks["identity_checked"]),
                    "guardian_present": int(checks["guardian_present"]),
                    "guardian_name": checks["guardian_name"],
                    "recorded_by": ids[checks["recorded_by"]],
                    "recorded_at": checks["recorded_at"],
                },
            )

    # --- expert confirmations -----------------------------------------------------------------------

    def confirm(self, assessment_id: int, user_id: int, level: int, at: str) -> None:
        self.db.execute(
            "INSERT INTO expert_confirmations (assessment_id, user_id, level, confirmed_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (assessment_id, user_id) DO UPDATE SET level = excluded.level, "
            "confirmed_at = excluded.confirmed_at",
            [assessment_id, user_id, level, at],
        )

    def confirmations(self, assessment_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT c.*, u.display_name, u.qualification FROM expert_confirmations c"
                " JOIN users u ON u.id = c.user_id WHERE c.assessment_id = ? ORDER BY c.confirmed_at",
                [assessment_id],
            )
        )

    def confirmed_assessments(self) -> set[int]:
        """Assessments some expert confirmed here (whose confirmations may still need signing)."""
        return {r["assessment_id"] for r in self.db.query("SELECT DISTINCT assessment_id FROM expert_confirmations")}

    # --- conclusions --------------------------------------------------------------------------------

    def add_conclusion(self, fields: dict[str, Any]) -> None:
        self.db.table("conclusions").insert(fields)

    def conclusion(self, assessment_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM conclusions WHERE assessment_id = ?", [assessment_id]))
        return rows[0] if rows else None

    def update_conclusion(self, assessment_id: int, **fields: Any) -> None:
        self.db.table("conclusions").update(assessment_id, fields)

    def conclusions(self, decided_from: str | None = None, decided_to: str | None = None) -> list[dict[str, Any]]:
        """Conclusions with their person and assessment, oldest decision first (optionally a date range)."""
        where, args = ["1 = 1"], []
        if decided_from:
            where.append("substr(c.decided_at, 1, 10) >= ?")
            args.append(decided_from)
        if decided_to:
            where.append("substr(c.decided_at, 1, 10) <= ?")
            args.append(decided_to)
        return list(
            self.db.query(
                "SELECT c.*, a.subject_id, a.form_id, a.form_version, a.reason, a.status, s.name AS subject_name,"
                " s.id_number, s.district FROM conclusions c JOIN assessments a ON a.id = c.assessment_id"
                f" JOIN subjects s ON s.id = a.subject_id WHERE {' AND '.join(where)}"
                " ORDER BY c.decided_at, c.assessment_id",
                args,
            )
        )

    def standing_conclusions(self, subject_id: int) -> list[dict[str, Any]]:
        """A person's conclusions that still stand (approved, not superseded), newest decision first."""
        return list(
            self.db.query(
                "SELECT c.* FROM conclusions c JOIN assessments a ON a.id = c.assessment_id"
                " WHERE a.subject_id = ? AND a.status = 'approved' AND c.superseded_by IS NULL"
                " ORDER BY c.decided_at DESC, c.assessment_id DESC",
                [subject_id],
            )
        )

    # --- objections ---------------------------------------------------------------------------------

    def add_objection(self, fields: dict[str, Any]) -> int:
        return inserted_id(self.db.table("objections").insert(fields))

    def objection(self, objection_id: int) -> dict[str, Any]:
        rows = list(self.db.query("SELECT * FROM objections WHERE id = ?", [objection_id]))
        if not rows:
            raise AppError(
                ErrorCode.NOT_FOUND, _("未找到编号为 {objection_id} 的异议").format(objection_id=objection_id)
            )
        return rows[0]

    def objections(self, assessment_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM objections WHERE assessment_id = ? ORDER BY id", [assessment_id]))

    def objection_for_review(self, review_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM objections WHERE review_id = ?", [review_id]))
        return rows[0] if rows else None

    def set_review(self, objection_id: int, review_id: int) -> None:
        self.db.table("objections").update(objection_id, {"review_id": review_id})

    # --- care advice and the chosen care setting ----------------------------------------------------

    def put_care_advice(self, assessment_id: int, lines: list[str], user_id: int, at: str) -> None:
        self.db.table("care_advice").upsert(
            {
                "assessment_id": assessment_id,
                "lines_json": json.dumps(lines, ensure_ascii=False),
                "saved_by": user_id,
                "saved_at": at,
            },
            pk="assessment_id",
        )

    def care_advice(self, assessment_id: int) -> list[str] | None:
        rows = list(self.db.query("SELECT lines_json FROM care_advice WHERE assessment_id = ?", [assessment_id]))
        return json.loads(rows[0]["lines_json"]) if rows else None

    def add_care_choice(self, fields: dict[str, Any]) -> None:
        self.db.table("care_choices").insert(fields)

    def care_choice(self, assessment_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM care_choices WHERE assessment_id = ?", [assessment_id]))
        return rows[0] if rows else None

    # --- signed lifecycle records (what travels in bundles and syncs) -------------------------------------

    def lifecycle_record(self, slot: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM lifecycle_records WHERE slot = ?", [slot]))
        return rows[0] if rows else None

    def add_lifecycle_record(self, row: dict[str, Any]) -> None:
        """Keep a signed record once (the same fact arriving again changes nothing)."""
        self.db.execute(
            "INSERT OR IGNORE INTO lifecycle_records (fact, slot, kind, assessment_uid, payload, signature,"
            " attachment, created_at, sent) VALUES (:fact, :slot, :kind, :assessment_uid, :payload, :signature,"
            " :attachment, :created_at, :sent)",
            row,
        )

    def lifecycle_records(self, unsent_only: bool) -> list[dict[str, Any]]:
        where = "WHERE sent = 0" if unsent_only else ""
        return list(self.db.query(f"SELECT * FROM lifecycle_records {where} ORDER BY created_at, fact"))

    def mark_lifecycle_sent(self, facts: list[str]) -> None:
        for fact in facts:
            self.db.execute("UPDATE lifecycle_records SET sent = 1 WHERE fact = ?", [fact])

    def signed_letter(self, assessment_uid: str) -> bytes | None:
        """The newest signed 告知书 of an assessment."""
        rows = list(
            self.db.query(
                "SELECT attachment FROM lifecycle_records WHERE kind = 'letter' AND assessment_uid = ?"
                " ORDER BY created_at DESC, fact LIMIT 1",
                [assessment_uid],
            )
        )
        return bytes(rows[0]["attachment"]) if rows else None

    def objection_lodged(self, assessment_id: int, lodged_at: str) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "SELECT * FROM objections WHERE assessment_id = ? AND lodged_at = ?", [assessment_id, lodged_at]
            )
        )
        return rows[0] if rows else None
