"""Store: every read and write of the database, as plain methods returning records.

It does not decide who may do what (the service does) and opens no transactions of its own: the service
wraps each use case, together with its audit event, in one ``transaction()``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError, Table, jsonify_if_needed, quote_identifier

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.storage.records import Assessment, Comment, Subject, User
from ltc_assess.storage.sync_log import SyncLog


def name_grams(name: str) -> set[str]:
    """Every 1- and 2-character piece of a name (the search index for short CJK names)."""
    text = "".join(name.split()).lower()
    return {text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1)}


def inserted_id(table: Table) -> int:
    """The rowid of the row just inserted (sqlite-utils types it Optional: it is set by every insert)."""
    if table.last_pk is None:
        raise RuntimeError(f"sqlite-utils gave no row id after an insert into {table.name}")
    return int(table.last_pk)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class Store(SyncLog):
    """Data access for one open database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- settings -----------------------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        self.db.table("settings").upsert({"key": key, "value": value}, pk="key")

    # --- users --------------------------------------------------------------------------------------

    def add_user(self, username: str, display_name: str, role: str, password_hash: str, at: str) -> User:
        if self.user_by_name(username) is not None:
            raise AppError(ErrorCode.CONFLICT, _("用户 {username!r} 已存在").format(username=username))
        users = self.db.table("users").insert(
            {
                "username": username,
                "display_name": display_name,
                "role": role,
                "password_hash": password_hash,
                "created_at": at,
            }
        )
        return self.user(inserted_id(users))

    def _user_row(self, where: str, args: list[Any]) -> dict[str, Any] | None:
        rows = list(self.db.query(f"SELECT * FROM users WHERE {where}", args))
        return rows[0] if rows else None

    def user_by_name(self, username: str) -> User | None:
        row = self._user_row("username = ?", [username])
        return None if row is None else User.from_row(row)

    def password_hash(self, user_id: int) -> str:
        row = self._user_row("id = ?", [user_id])
        return "" if row is None else str(row["password_hash"])

    def user(self, user_id: int) -> User:
        row = self._user_row("id = ?", [user_id])
        if row is None:
            raise AppError(ErrorCode.NOT_FOUND, _("未找到编号为 {user_id} 的用户").format(user_id=user_id))
        return User.from_row(row)

    def users(self) -> list[User]:
        return [User.from_row(r) for r in self.db.query("SELECT * FROM users ORDER BY username")]

    def update_user(self, user_id: int, **fields: Any) -> None:
        self.db.table("users").update(user_id, fields)

    # --- subjects -----------------------------------------------------------------------------------

    def add_subject(self, fields: dict[str, Any], at: str) -> Subject:
        dup = self.db.execute("SELECT id FROM subjects WHERE id_number = ?", [fields["id_number"]]).fetchone()
        if dup:
            raise AppError(
                ErrorCode.CONFLICT,
                _("此公民身份号码已登记（评估对象 {id}）").format(id=dup[0]),
                where="id_number",
            )
        row = {
            **{
                k: fields.get(k)
                for k in ("name", "sex", "birth_date", "id_number", "insurance_no", "address", "district", "phone")
            },
            "id_reversed": fields["id_number"][::-1],
            "phone_reversed": (fields.get("phone") or "")[::-1] or None,
            "contacts_json": _dumps(fields.get("contacts") or []),
            "created_at": at,
            "updated_at": at,
            "uid": fields.get("uid") or uuid.uuid4().hex,
        }
        subject_id = inserted_id(self.db.table("subjects").insert(row))
        self.db.table("subject_name_grams").insert_all(
            [{"gram": g, "subject_id": subject_id} for g in name_grams(fields["name"])]
        )
        return self.subject(subject_id)

    def subject(self, subject_id: int) -> Subject:
        rows = list(self.db.query("SELECT * FROM subjects WHERE id = ?", [subject_id]))
        if not rows:
            raise AppError(ErrorCode.NOT_FOUND, _("未找到编号为 {subject_id} 的评估对象").format(subject_id=subject_id))
        return Subject.from_row(rows[0])

    def search_subjects(self, query: str, limit: int = 50) -> list[Subject]:
        """By name fragment (any 1+ characters), ID-number suffix or phone suffix; all indexed."""
        q = "".join(query.split())
        args: list[str | int]
        if not q:
            sql, args = "SELECT * FROM subjects ORDER BY id DESC LIMIT ?", [limit]
        elif q.isdigit() or (q[:-1].isdigit() and q[-1] in "Xx"):
            rev = q.upper()[::-1]
            sql = (
                "SELECT * FROM subjects WHERE (id_reversed >= ? AND id_reversed < ?) "
                "OR (phone_reversed >= ? AND phone_reversed < ?) ORDER BY id DESC LIMIT ?"
            )
            args = [rev, rev + "\uffff", rev, rev + "\uffff", limit]
        else:
            grams = sorted({q.lower()[i : i + 2] for i in range(max(1, len(q) - 1))})
            joins = " ".join(
                f"JOIN subject_name_grams g{n} ON g{n}.subject_id = s.id AND g{n}.gram = ?" for n in range(len(grams))
            )
            # ordering by the first gram's key lets SQLite walk that index backwards and stop at the limit
            sql = f"SELECT s.* FROM subjects s {joins} WHERE s.name LIKE ? ORDER BY g0.subject_id DESC LIMIT ?"
            args = [*grams, f"%{q}%", limit]
        return [Subject.from_row(r) for r in self.db.query(sql, args)]

    def count(self, table: str) -> int:
        return int(self.db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])

    # --- assessments --------------------------------------------------------------------------------

    def create_assessment(self, fields: dict[str, Any]) -> int:
        fields = {"uid": uuid.uuid4().hex, **fields}
        return inserted_id(self.db.table("assessments").insert(fields))

    def _row(self, assessment_id: int) -> dict[str, Any]:
        rows = list(self.db.query("SELECT * FROM assessments WHERE id = ?", [assessment_id]))
        if not rows:
            raise AppError(
                ErrorCode.NOT_FOUND, _("未找到编号为 {assessment_id} 的评估").format(assessment_id=assessment_id)
            )
        return rows[0]

    def answers(self, assessment_id: int) -> dict[str, Any]:
        return {
            r["item_id"]: json.loads(r["value_json"])
            for r in self.db.query("SELECT item_id, value_json FROM answers WHERE assessment_id = ?", [assessment_id])
        }

    def assessment(self, assessment_id: int) -> Assessment:
        return Assessment.from_row(self._row(assessment_id), self.answers(assessment_id))

    def put_answer(self, assessment_id: int, item_id: str, value: Any, user_id: int, at: str) -> None:
        if value is None:
            self.db.execute("DELETE FROM answers WHERE assessment_id = ? AND item_id = ?", [assessment_id, item_id])
        else:
            self.db.execute(
                "INSERT INTO answers (assessment_id, item_id, value_json, saved_at, saved_by) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (assessment_id, item_id) DO UPDATE SET value_json = excluded.value_json, "
                "saved_at = excluded.saved_at, saved_by = excluded.saved_by",
                [assessment_id, item_id, _dumps(value), at, user_id],
            )

    def update_assessment(self, assessment_id: int, **fields: Any) -> None:
        """One UPDATE statement: sqlite-utils' ``Table.update`` first reads the table's schema (PRAGMAs) and the
        row, three more queries that cost an assessor's keystroke ~10 ms on an encrypted database."""
        if not fields:
            return
        columns = ", ".join(f"{quote_identifier(name)} = ?" for name in fields)
        values = [jsonify_if_needed(v) for v in fields.values()]
        cursor = self.db.execute(f"UPDATE assessments SET {columns} WHERE id = ?", [*values, assessment_id])  # noqa: S608 - quoted names
        if cursor.rowcount == 0:
            raise NotFoundError(f"no assessment with id {assessment_id}")

    def list_assessments(
        self,
        *,
        status: str | None = None,
        assessor_id: int | None = None,
        subject_id: int | None = None,
        district: str | None = None,
        form_id: str | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """Summary rows (no answers) joined with the subject, newest first."""
        where, args = ["1 = 1"], []
        for column, value in (
            ("a.status", status),
            ("a.subject_id", subject_id),
            ("s.district", district),
            ("a.form_id", form_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if assessor_id is not None:
            where.append("(a.assessor1_id = ? OR a.assessor2_id = ?)")
            args += [assessor_id, assessor_id]
        sql = (
            "SELECT a.id, a.subject_id, s.name AS subject_name, s.id_number, s.district, a.form_id, a.form_version,"
            " a.status, a.reason, a.assessment_date, a.proposed_level, a.decided_level, a.assessor1_id,"
            " a.assessor2_id, a.version_no, a.supersedes_id, a.created_at, a.updated_at, a.submitted_at,"
            " a.approved_at, a.exported_at"
            f" FROM assessments a JOIN subjects s ON s.id = a.subject_id WHERE {' AND '.join(where)}"
            " ORDER BY a.id DESC LIMIT ?"
        )
        return list(self.db.query(sql, [*args, limit]))

    # --- comments and signatures --------------------------------------------------------------------

    def add_comment(self, assessment_id: int, author_id: int, body: str, item_id: str | None, at: str) -> None:
        self.db.table("review_comments").insert(
            {"assessment_id": assessment_id, "author_id": author_id, "item_id": item_id, "body": body, "created_at": at}
        )

    def comments(self, assessment_id: int) -> list[Comment]:
        rows = self.db.query(
            "SELECT c.*, u.display_name FROM review_comments c JOIN users u ON u.id = c.author_id "
            "WHERE c.assessment_id = ? ORDER BY c.id",
            [assessment_id],
        )
        return [
            Comment(r["id"], r["author_id"], r["display_name"], r["item_id"], r["body"], r["created_at"]) for r in rows
        ]

    def put_signature(self, assessment_id: int, role: str, png: bytes, at: str) -> None:
        self.db.table("signatures").upsert(
            {"assessment_id": assessment_id, "role": role, "png": png, "signed_at": at}, pk=("assessment_id", "role")
        )

    def signed_roles(self, assessment_id: int) -> set[str]:
        """Who has signed, without loading the images."""
        rows = self.db.query("SELECT role FROM signatures WHERE assessment_id = ?", [assessment_id])
        return {r["role"] for r in rows}

    def signature_times(self, assessment_id: int) -> dict[str, str]:
        """When each handwritten signature was given (the report prints the date beside it)."""
        rows = self.db.query("SELECT role, signed_at FROM signatures WHERE assessment_id = ?", [assessment_id])
        return {r["role"]: r["signed_at"] for r in rows}

    def signatures(self, assessment_id: int) -> dict[str, bytes]:
        return {
            r["role"]: r["png"]
            for r in self.db.query("SELECT role, png FROM signatures WHERE assessment_id = ?", [assessment_id])
        }

    # --- signing keys and signed reports ------------------------------------------------------------

    def put_user_key(self, user_id: int, cert_pem: bytes, key_pem: bytes, at: str) -> None:
        self.db.table("user_keys").upsert(
            {"user_id": user_id, "cert_pem": cert_pem, "key_pem": key_pem, "created_at": at}, pk="user_id"
        )

    def delete_user_key(self, user_id: int) -> None:
        self.db.execute("DELETE FROM user_keys WHERE user_id = ?", [user_id])

    def user_key(self, user_id: int) -> tuple[bytes, bytes] | None:
        row = self.db.execute("SELECT cert_pem, key_pem FROM user_keys WHERE user_id = ?", [user_id]).fetchone()
        return None if row is None else (bytes(row[0]), bytes(row[1]))

    def add_revocation(self, serial: int, user_id: int | None, revoked_at: str, reason: str) -> None:
        """Revoke a certificate once; revoking it again keeps the first time."""
        self.db.table("revocations").insert(
            {"serial_hex": format(serial, "x"), "user_id": user_id, "revoked_at": revoked_at, "reason": reason},
            ignore=True,
        )

    def revoked_at(self, cert_pem: bytes) -> str | None:
        """When the agency revoked this certificate (None: it has not), for the replay rules."""
        from ltc_assess.signing.crl import cert_serial

        row = self.db.execute(
            "SELECT revoked_at FROM revocations WHERE serial_hex = ?", [format(cert_serial(cert_pem), "x")]
        ).fetchone()
        return None if row is None else str(row[0])

    def revocations(self) -> list[tuple[int, str, str]]:
        """(serial, revoked_at, reason) of every revoked certificate, oldest first."""
        rows = self.db.execute("SELECT serial_hex, revoked_at, reason FROM revocations ORDER BY revoked_at, serial_hex")
        return [(int(r[0], 16), str(r[1]), str(r[2])) for r in rows.fetchall()]

    def add_report(self, assessment_id: int, signer_role: str, pdf: bytes, sha256: str, at: str) -> int:
        row = self.db.execute(
            "SELECT coalesce(max(revision), 0) FROM reports WHERE assessment_id = ?", [assessment_id]
        ).fetchone()
        revision = int(row[0]) + 1
        self.insert_report(assessment_id, revision, signer_role, pdf, sha256, at)
        return revision

    def latest_report(self, assessment_id: int) -> bytes | None:
        row = self.db.execute(
            "SELECT pdf FROM reports WHERE assessment_id = ? ORDER BY revision DESC LIMIT 1", [assessment_id]
        ).fetchone()
        return None if row is None else bytes(row[0])

    # --- bundles ------------------------------------------------------------------------------------

    def assessment_by_uid(self, uid: str) -> Assessment | None:
        row = self.db.execute("SELECT id FROM assessments WHERE uid = ?", [uid]).fetchone()
        return None if row is None else self.assessment(int(row[0]))

    def subject_by_uid_or_number(self, uid: str, id_number: str) -> Subject | None:
        rows = list(self.db.query("SELECT * FROM subjects WHERE uid = ? OR id_number = ? LIMIT 1", [uid, id_number]))
        return Subject.from_row(rows[0]) if rows else None

    def reports(self, assessment_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT revision, signer_role, pdf, sha256, created_at FROM reports "
                "WHERE assessment_id = ? ORDER BY revision",
                [assessment_id],
            )
        )

    def replace_children(
        self, assessment_id: int, answers: dict[str, Any], signatures: dict[str, bytes], user_id: int, at: str
    ) -> None:
        """Answers and signatures exactly as given (the record must be editable while this runs)."""
        self.db.execute("DELETE FROM answers WHERE assessment_id = ?", [assessment_id])
        self.db.execute("DELETE FROM signatures WHERE assessment_id = ?", [assessment_id])
        for item_id, value in answers.items():
            self.put_answer(assessment_id, item_id, value, user_id, at)
        for role, png in signatures.items():
            self.put_signature(assessment_id, role, png, at)

    def insert_report(
        self, assessment_id: int, revision: int, signer_role: str, pdf: bytes, sha256: str, at: str
    ) -> None:
        """A signed report under a given revision number (made here, or elsewhere and imported)."""
        self.db.table("reports").insert(
            {
                "assessment_id": assessment_id,
                "revision": revision,
                "signer_role": signer_role,
                "pdf": pdf,
                "sha256": sha256,
                "created_at": at,
            }
        )

    # --- signed records (evidence of submissions and approvals) -------------------------------------

    def add_signed_record(self, assessment_id: int, kind: str, payload: str, signature: bytes, at: str) -> None:
        """Keep a signed record once (the same evidence arriving again changes nothing)."""
        self.db.execute(
            "INSERT OR IGNORE INTO signed_records (assessment_id, kind, payload, signature, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [assessment_id, kind, payload, signature, at],
        )

    def signed_records(self, assessment_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT kind, payload, signature, created_at FROM signed_records WHERE assessment_id = ? ORDER BY id",
                [assessment_id],
            )
        )
