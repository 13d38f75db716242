"""The server's records in PostgreSQL, read back as the same plain values the desktop store returns.

``PgStore`` offers what ``replay`` reads (``record_source.RecordStore``), so incoming records are judged on the
server by the very rules the desktop applies; the rest is what the server writes: records with their reports and
signed evidence, pushes, sessions, visit tasks and the hash-chained audit log.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha256
from typing import Any

import psycopg
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.storage.pg import visits
from ltc_assess.storage.records import Assessment, Subject, User
from ltc_assess.workflow import Role, Status

ROOT_CERT = "root_cert_pem"
WORKFLOW_ROLES = {r.value for r in Role}
GENESIS = "0" * 64


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextmanager
def pg_errors() -> Iterator[None]:
    """PostgreSQL's own errors (cannot connect, no such database, permission) as one clear line."""
    try:
        yield
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise AppError(ErrorCode.NOT_FOUND, _("PostgreSQL：{first}").format(first=first)) from None


@contextmanager
def session(conninfo: str) -> Iterator[PgStore]:
    """One transaction on a connection of its own (command-line tools); committed when the block ends."""
    with pg_errors(), psycopg.connect(conninfo) as con, con.transaction():
        yield PgStore(con)


class PgStore:
    """One connection (one transaction) of the server; callers commit or roll back."""

    def __init__(self, con: psycopg.Connection) -> None:
        self.con = con

    def rows(self, sql: str, args: Any = ()) -> list[dict[str, Any]]:
        with self.con.cursor(row_factory=dict_row) as cur:
            return list(cur.execute(sql, args).fetchall())

    def one(self, sql: str, args: Any = ()) -> dict[str, Any] | None:
        rows = self.rows(sql, args)
        return rows[0] if rows else None

    def usernames(self) -> set[str]:
        return {row["username"] for row in self.rows("SELECT username FROM users")}

    def decided_uids(self) -> list[str]:
        """Every record past its draft (the ones that carry signed evidence), oldest first."""
        return [row["uid"] for row in self.rows("SELECT uid FROM assessments WHERE status <> 'draft' ORDER BY id")]

    def approved_rows(self) -> list[dict[str, Any]]:
        """Every record approved by its status column or by its record (the two must agree: the exporter checks):
        id, uid, both statuses and the assessment date (what an insurer package selects on)."""
        return self.rows(
            "SELECT id, uid, 'approved' AS status, status AS column_status,"
            " record #>> '{fields,assessment_date}' AS assessment_date"
            " FROM assessments WHERE status = 'approved' OR record #>> '{fields,status}' = 'approved' ORDER BY id"
        )

    def record_columns(self) -> list[dict[str, Any]]:
        """The columns the server selects and routes on, beside the record they repeat (``server check``)."""
        return self.rows(
            "SELECT id, uid, status, assessor1, assessor2, approved_by, record,"
            " EXISTS (SELECT 1 FROM signed_records e WHERE e.assessment_id = a.id AND e.kind = 'approval') AS signed"
            " FROM assessments a ORDER BY id"
        )

    def disabled_triggers(self, expected: dict[str, str]) -> list[str]:
        """The names in ``expected`` (trigger → table) that are missing or disabled (``ALTER TABLE … DISABLE``)."""
        rows = self.rows(
            "SELECT t.tgname, c.relname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal"
        )
        live = {(r["tgname"], r["relname"]) for r in rows if r["tgenabled"] != "D"}
        return [name for name, table in expected.items() if (name, table) not in live]

    def returning_id(self, sql: str, args: Any) -> int:
        """The id an ``INSERT … RETURNING id`` (or upsert) gives: always exactly one row."""
        (row,) = self.rows(sql, args)
        return int(row["id"])

    def lock(self, keys: list[str]) -> None:
        """Hold these names until the transaction ends (sorted by the caller: no deadlock)."""
        for key in keys:
            self.con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])

    # --- settings and people -------------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        row = self.one("SELECT value FROM settings WHERE key = %s", [key])
        return None if row is None else str(row["value"])

    def set_setting(self, key: str, value: str) -> None:
        self.con.execute(
            "INSERT INTO settings VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]
        )

    def users(self) -> list[User]:
        """The people of the workflow (insurers are no workflow users)."""
        return [_user(r) for r in self.rows("SELECT * FROM users ORDER BY id") if r["role"] in WORKFLOW_ROLES]

    def account(self, username: str) -> dict[str, Any] | None:
        """A user of any role (insurers included), with certificate."""
        return self.one("SELECT * FROM users WHERE username = %s", [username])

    def put_account(
        self,
        username: str,
        display_name: str,
        role: str,
        disabled: bool,
        cert_pem: str | None,
        sha: str | None,
        qualification_no: str | None = None,
        qualification: str | None = None,
    ) -> None:
        """Enrol or update a user; a replaced certificate (fingerprint ``sha``) is revoked: it opens no session
        and signs no push any more."""
        old = self.account(username)
        if old is not None and old["cert_sha256"] and old["cert_sha256"] != sha:
            self.con.execute(
                "INSERT INTO revoked_certificates VALUES (%s, %s) ON CONFLICT DO NOTHING", [old["cert_sha256"], now()]
            )
        self.con.execute(
            "INSERT INTO users (username, display_name, role, disabled, cert_pem, cert_sha256, qualification_no,"
            " qualification) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (username) DO UPDATE SET"
            " display_name = excluded.display_name, role = excluded.role, disabled = excluded.disabled,"
            " cert_pem = excluded.cert_pem, cert_sha256 = excluded.cert_sha256,"
            " qualification_no = excluded.qualification_no, qualification = excluded.qualification",
            [username, display_name, role, disabled, cert_pem, sha, qualification_no, qualification],
        )

    def revoked(self, cert_sha256: str) -> bool:
        return self.one("SELECT 1 FROM revoked_certificates WHERE cert_sha256 = %s", [cert_sha256]) is not None

    def revoked_at(self, cert_pem: bytes) -> str | None:
        """When the server revoked this certificate (replaced at enrolment), for the replay rules."""
        der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
        row = self.one("SELECT revoked_at FROM revoked_certificates WHERE cert_sha256 = %s", [sha256(der).hexdigest()])
        return None if row is None else str(row["revoked_at"])

    def accounts(self) -> list[dict[str, Any]]:
        """Every account (insurers included): username, role, disabled flag, certificate fingerprint."""
        return self.rows("SELECT username, role, disabled, cert_sha256 FROM users ORDER BY id")

    def enrolments(self) -> list[dict[str, Any]]:
        """What the audit log recorded of each account at enrolment, oldest first (``data.accounts``)."""
        return self.rows("SELECT data FROM audit WHERE action IN ('server.enrol', 'server.insurer') ORDER BY id")

    def display_names(self) -> dict[str, str]:
        return {r["username"]: r["display_name"] for r in self.rows("SELECT username, display_name FROM users")}

    # --- what replay reads (record_source.RecordStore) ---------------------------------------------------

    def assessment_by_uid(self, uid: str) -> Assessment | None:
        row = self.one("SELECT * FROM assessments WHERE uid = %s", [uid])
        return None if row is None else self._assessment(row)

    def _assessment(self, row: dict[str, Any]) -> Assessment:
        rec, ids = row["record"], {u.username: u.id for u in self.users()}
        fields = dict(rec["fields"])
        score = fields.pop("score_json")
        supersedes = self.one("SELECT id FROM assessments WHERE uid = %s", [rec["supersedes"]])
        return Assessment(
            **{k: v for k, v in fields.items() if k in Assessment.__dataclass_fields__ and k != "status"},
            id=row["id"],
            subject_id=row["subject_id"],
            status=Status(row["status"]),
            score=json.loads(score) if score else None,
            assessor1_id=ids.get(rec["users"]["assessor1_id"], -1),
            assessor2_id=ids.get(rec["users"]["assessor2_id"] or ""),
            decided_by=ids.get(rec["users"]["decided_by"] or ""),
            approved_by=ids.get(rec["users"]["approved_by"] or ""),
            created_by=ids.get(rec["users"]["created_by"] or "", -1),
            supersedes_id=supersedes["id"] if supersedes else None,
            uid=row["uid"],
            sync_hash=row["content_hash"],
            answers=rec["answers"],
        )

    def subject_by_uid_or_number(self, uid: str, id_number: str) -> Subject | None:
        row = self.one("SELECT * FROM subjects WHERE uid = %s OR id_number = %s LIMIT 1", [uid, id_number])
        if row is None:
            return None
        d = row["data"]
        return Subject(
            row["id"], d["name"], d["sex"], d["birth_date"], d["id_number"], d.get("insurance_no"),
            d.get("address"), d.get("district"), d.get("phone"), d.get("contacts") or [], row["uid"],
        )  # fmt: skip

    def reports(self, assessment_id: int) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT revision, signer_role, pdf, sha256, created_at FROM reports WHERE assessment_id = %s"
            " ORDER BY revision",
            [assessment_id],
        )

    def add_report(self, assessment_id: int, revision: int, signer_role: str, pdf: bytes) -> None:
        self.con.execute(
            "INSERT INTO reports VALUES (%s, %s, %s, %s, %s, %s)",
            [assessment_id, revision, signer_role, hashlib.sha256(pdf).hexdigest(), now().isoformat(), pdf],
        )

    def signed_records(self, assessment_id: int) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT kind, payload, signature FROM signed_records WHERE assessment_id = %s ORDER BY kind, payload",
            [assessment_id],
        )

    def list_assessments(self, *, subject_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
        rows = self.rows(
            "SELECT a.id, a.status, s.id AS supersedes_id FROM assessments a"
            " LEFT JOIN assessments s ON s.uid = a.record->>'supersedes'"
            " WHERE %(subject)s::integer IS NULL OR a.subject_id = %(subject)s ORDER BY a.id DESC LIMIT %(limit)s",
            {"subject": subject_id, "limit": limit},
        )
        return [r | {"status": Status(r["status"])} for r in rows]

    # --- writing records -----------------------------------------------------------------------------

    def put_record(
        self, rec: dict[str, Any], content_hash: str, changed_by: str, visit: dict[str, Any] | None = None
    ) -> int:
        """Make the server's copy of ``rec`` exactly the incoming record (inserting person and record when new),
        with ``visit`` when its signed submission vouches for one (``replay.signed_visit``)."""
        person = rec["subject"]
        subject = self.subject_by_uid_or_number(person["uid"], person["id_number"])
        if subject is None:
            subject_id = self.returning_id(
                "INSERT INTO subjects (uid, id_number, data) VALUES (%s, %s, %s) RETURNING id",
                [person["uid"], person["id_number"], Jsonb(person)],
            )
        else:
            subject_id = subject.id
        body = {k: v for k, v in rec.items() if k not in ("reports", "evidence", "visit")}
        users = rec["users"]
        aid = self.returning_id(
            "INSERT INTO assessments (uid, subject_id, status, content_hash, record, assessor1, assessor2,"
            " approved_by, changed_by, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (uid) DO UPDATE SET status = excluded.status, content_hash = excluded.content_hash,"
            " record = excluded.record, assessor1 = excluded.assessor1, assessor2 = excluded.assessor2,"
            " approved_by = excluded.approved_by, changed_by = excluded.changed_by, updated_at = excluded.updated_at,"
            " seq = nextval('change_seq') RETURNING id",
            [
                rec["uid"], subject_id, rec["fields"]["status"], content_hash, Jsonb(body), users["assessor1_id"],
                users["assessor2_id"], users["approved_by"], changed_by, now(),
            ],
        )  # fmt: skip
        for r in rec["reports"]:
            self.con.execute(
                "INSERT INTO reports VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [aid, r["revision"], r["signer_role"], r["sha256"], r["created_at"], base64.b64decode(r["pdf"])],
            )
        for e in rec["evidence"]:
            self.con.execute(
                "INSERT INTO signed_records VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [
                    aid, e["kind"], e["payload"], hashlib.sha256(e["payload"].encode()).hexdigest(),
                    base64.b64decode(e["signature"]),
                ],
            )  # fmt: skip
        if visit is not None:
            visits.put(self.con, aid, visit)
        return aid

    def record(self, uid: str) -> dict[str, Any] | None:
        """A record in the bundle format (``replay.IncomingRecord``) with who last changed it."""
        row = self.one("SELECT * FROM assessments WHERE uid = %s", [uid])
        return None if row is None else self._full(row)

    def _full(self, row: dict[str, Any]) -> dict[str, Any]:
        rec = dict(row["record"])
        rec["reports"] = [
            {k: r[k] for k in ("revision", "signer_role", "sha256", "created_at")}
            | {"pdf": base64.b64encode(bytes(r["pdf"])).decode()}
            for r in self.reports(row["id"])
        ]
        rec["evidence"] = [
            {"kind": e["kind"], "payload": e["payload"], "signature": base64.b64encode(bytes(e["signature"])).decode()}
            for e in self.signed_records(row["id"])
        ]
        rec["visit"] = visits.get(self.con, row["id"])
        return {"record": rec, "changed_by": row["changed_by"], "cursor": row["seq"]}

    def changes_for(self, username: str, role: str, since: int, limit: int) -> list[dict[str, Any]]:
        """Records changed after cursor ``since`` that concern ``username``: an assessor's own assessments, a
        supervisor's review queue and everything past it (in change order)."""
        if role == Role.SUPERVISOR:
            where = "status <> 'draft'"
        else:
            where = "(assessor1 = %(user)s OR assessor2 = %(user)s)"
        rows = self.rows(
            f"SELECT * FROM assessments WHERE seq > %(since)s AND {where} ORDER BY seq LIMIT %(limit)s",
            {"user": username, "since": since, "limit": limit},
        )
        return [self._full(r) for r in rows]

    def mark_superseded(self, uid: str, content_hash_of: Any) -> None:
        """The original of an approved correction: superseded (its hash follows its new status)."""
        row = self.one("SELECT * FROM assessments WHERE uid = %s", [uid])
        if row is None or row["status"] == Status.SUPERSEDED:
            return
        rec = row["record"]
        rec["fields"]["status"] = Status.SUPERSEDED.value
        self.con.execute(
            "UPDATE assessments SET status = 'superseded', record = %s, content_hash = %s,"
            " seq = nextval('change_seq'), updated_at = %s WHERE id = %s",
            [Jsonb(rec), content_hash_of(rec), now(), row["id"]],
        )

    def add_conflict(self, uid: str, bundle_id: str, incoming: dict[str, Any]) -> None:
        self.con.execute(
            "INSERT INTO conflicts (assessment_uid, bundle_id, detected_at, incoming) VALUES (%s, %s, %s, %s)",
            [uid, bundle_id, now(), Jsonb(incoming)],
        )

    def bundle_seen(self, bundle_id: str) -> bool:
        return self.one("SELECT 1 FROM bundles WHERE bundle_id = %s", [bundle_id]) is not None

    def log_bundle(self, bundle_id: str, signed_by: str, pushed_by: str, summary: dict[str, Any]) -> None:
        self.con.execute(
            "INSERT INTO bundles VALUES (%s, %s, %s, %s, %s)", [bundle_id, signed_by, pushed_by, now(), Jsonb(summary)]
        )

    # --- the audit chain ----------------------------------------------------------------------------

    def audit(self, actor: str | None, action: str, entity: str, entity_id: str | None, data: dict[str, Any]) -> None:
        """Append one row to the agency's hash chain (serialised: one writer at a time extends it)."""
        self.con.execute("SELECT pg_advisory_xact_lock(15151)")
        last = self.one("SELECT hash FROM audit ORDER BY id DESC LIMIT 1")
        prev = last["hash"] if last else GENESIS
        at = now().isoformat()
        row = [at, actor, action, entity, entity_id, data]
        digest = hashlib.sha256((prev + json.dumps(row, sort_keys=True, ensure_ascii=False)).encode()).hexdigest()
        self.con.execute(
            "INSERT INTO audit (at, actor, action, entity, entity_id, data, prev_hash, hash)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [at, actor, action, entity, entity_id, Jsonb(data), prev, digest],
        )

    def audit_problems(self) -> list[str]:
        """Rows whose hash does not follow from their content and predecessor (``server check``)."""
        problems, prev = [], GENESIS
        for r in self.rows("SELECT * FROM audit ORDER BY id"):
            row = [r["at"], r["actor"], r["action"], r["entity"], r["entity_id"], r["data"]]
            digest = hashlib.sha256((prev + json.dumps(row, sort_keys=True, ensure_ascii=False)).encode()).hexdigest()
            if r["prev_hash"] != prev or r["hash"] != digest:
                problems.append(_("审计记录 {id}：哈希链已断开").format(id=r["id"]))
            prev = r["hash"]
        return problems


def _user(row: dict[str, Any]) -> User:
    return User(
        row["id"], row["username"], row["display_name"], Role(row["role"]), row["disabled"], 0, None,
        row.get("qualification_no"), row.get("qualification"),
    )  # fmt: skip
