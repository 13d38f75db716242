"""The steps of the signing and exchange era (m002–m004): signing keys and signed reports, bundles between
laptops and the office, signed evidence records and audit checkpoints. Released: never edited."""

from __future__ import annotations

from sqlite_utils import Database

from ltc_assess.storage.migrations import initial  # noqa: F401 - its steps are registered (and run) first
from ltc_assess.storage.migrations.runner import execute_script as _execute_script
from ltc_assess.storage.migrations.runner import migrations


@migrations()
def m002_keys_and_reports(db: Database) -> None:
    """Per-user signing keys (encrypted PEM) and the signed report PDFs, one row per signature revision."""
    _execute_script(
        db,
        """
        CREATE TABLE user_keys (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            cert_pem BLOB NOT NULL,
            key_pem BLOB NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE reports (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            revision INTEGER NOT NULL,
            signer_role TEXT NOT NULL,
            pdf BLOB NOT NULL,
            sha256 TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (assessment_id, revision)
        );
        CREATE TRIGGER reports_append_only_update BEFORE UPDATE ON reports
        BEGIN SELECT RAISE(ABORT, 'signed reports cannot change'); END;
        CREATE TRIGGER reports_append_only_delete BEFORE DELETE ON reports
        BEGIN SELECT RAISE(ABORT, 'signed reports cannot change'); END;
        """,
    )


@migrations()
def m003_bundles(db: Database) -> None:
    """Global ids for records that travel between installations, the shared base of each assessment,
    a log of bundles and the conflicts found on import."""
    _execute_script(
        db,
        """
        ALTER TABLE subjects ADD COLUMN uid TEXT;
        ALTER TABLE assessments ADD COLUMN uid TEXT;
        ALTER TABLE assessments ADD COLUMN sync_hash TEXT;
        UPDATE subjects SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
        UPDATE assessments SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
        CREATE UNIQUE INDEX subjects_uid ON subjects(uid);
        CREATE UNIQUE INDEX assessments_uid ON assessments(uid);
        CREATE TABLE bundles (
            bundle_id TEXT PRIMARY KEY,
            direction TEXT NOT NULL CHECK (direction IN ('export', 'import')),
            at TEXT NOT NULL,
            actor_id INTEGER REFERENCES users(id),
            summary_json TEXT NOT NULL
        );
        CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY,
            assessment_uid TEXT NOT NULL,
            bundle_id TEXT NOT NULL,
            detected_at TEXT NOT NULL,
            incoming_json TEXT NOT NULL,
            resolved_at TEXT,
            resolution TEXT
        );
        """,
    )


@migrations()
def m004_signed_records_and_checkpoints(db: Database) -> None:
    """Evidence that travels with a record and tamper evidence for the audit log.

    ``signed_records``: the submission and approval records, each a canonical JSON payload with the detached CMS
    signature of the user who made the change (what an import replays and ``db check`` re-verifies).
    ``audit_checkpoints``: the audit chain's head signed by a user when they sign anything, so that a chain cut
    short or recomputed after a database edit no longer matches a signature.
    """
    _execute_script(
        db,
        """
        CREATE TABLE signed_records (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            kind TEXT NOT NULL CHECK (kind IN ('submission', 'approval')),
            payload TEXT NOT NULL,
            signature BLOB NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (assessment_id, kind, payload)
        );
        CREATE INDEX signed_records_assessment ON signed_records(assessment_id);
        CREATE TRIGGER signed_records_no_update BEFORE UPDATE ON signed_records
        BEGIN SELECT RAISE(ABORT, 'signed records cannot change'); END;
        CREATE TRIGGER signed_records_no_delete BEFORE DELETE ON signed_records
        BEGIN SELECT RAISE(ABORT, 'signed records cannot change'); END;
        CREATE TABLE audit_checkpoints (
            id INTEGER PRIMARY KEY,
            audit_id INTEGER NOT NULL,
            payload TEXT NOT NULL,
            signature BLOB NOT NULL
        );
        CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints cannot change'); END;
        CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints cannot change'); END;
        -- approvals logged up to here were made before approvals carried a signed record
        INSERT INTO settings (key, value) SELECT 'evidence_from_audit_id', coalesce(max(id), 0) FROM audit;
        """,
    )
