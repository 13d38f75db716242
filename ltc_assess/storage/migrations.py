"""Schema migrations: named, ordered steps (sqlite-utils ``Migrations``), never edited once released.

A released database is upgraded by applying the steps it has not seen; ``tests/data/legacy_dbs`` keeps a
database of each released schema, and a test upgrades each one.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("ltc_assess")

# Columns of an assessment that make up the signed/approved content: once approved, none may change.
CONTENT_COLUMNS = (
    "subject_id",
    "form_id",
    "form_version",
    "form_sha256",
    "reason",
    "assessment_date",
    "place",
    "assessor1_id",
    "assessor2_id",
    "informant_name",
    "informant_relation",
    "score_json",
    "engine_version",
    "proposed_level",
    "decided_level",
    "decided_by",
    "decision_reason",
    "version_no",
    "supersedes_id",
    "approved_by",
    "approved_at",
)


@migrations()
def m001_initial(db: Database) -> None:
    """Users, subjects, assessments with one row per answer, comments, signatures, audit chain."""
    _execute_script(
        db,
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('assessor', 'supervisor', 'admin')),
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE subjects (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            sex TEXT NOT NULL CHECK (sex IN ('male', 'female')),
            birth_date TEXT NOT NULL,
            id_number TEXT NOT NULL UNIQUE,
            id_reversed TEXT NOT NULL,          -- for indexed suffix search
            insurance_no TEXT,
            address TEXT,
            district TEXT,
            phone TEXT,
            phone_reversed TEXT,
            contacts_json TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX subjects_id_reversed ON subjects(id_reversed);
        CREATE INDEX subjects_phone_reversed ON subjects(phone_reversed);
        CREATE INDEX subjects_district ON subjects(district);
        -- every 1- and 2-character piece of a name: Chinese names are too short for FTS tokenizers
        CREATE TABLE subject_name_grams (
            gram TEXT NOT NULL,
            subject_id INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
            PRIMARY KEY (gram, subject_id)
        ) WITHOUT ROWID;
        CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            subject_id INTEGER NOT NULL REFERENCES subjects(id),
            form_id TEXT NOT NULL,
            form_version INTEGER NOT NULL,
            form_sha256 TEXT NOT NULL,
            reason TEXT NOT NULL,
            assessment_date TEXT NOT NULL,
            place TEXT,
            assessor1_id INTEGER NOT NULL REFERENCES users(id),
            assessor2_id INTEGER REFERENCES users(id),
            informant_name TEXT,
            informant_relation TEXT,
            status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'approved', 'superseded')),
            current_item TEXT,
            score_json TEXT,
            engine_version TEXT,
            proposed_level INTEGER,
            decided_level INTEGER,
            decided_by INTEGER REFERENCES users(id),
            decision_reason TEXT,
            version_no INTEGER NOT NULL DEFAULT 1,
            supersedes_id INTEGER REFERENCES assessments(id),
            created_by INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            submitted_at TEXT,
            approved_by INTEGER REFERENCES users(id),
            approved_at TEXT,
            exported_at TEXT
        );
        CREATE INDEX assessments_subject ON assessments(subject_id);
        CREATE INDEX assessments_status ON assessments(status);
        CREATE INDEX assessments_assessor1 ON assessments(assessor1_id);
        CREATE TABLE answers (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            item_id TEXT NOT NULL,
            value_json TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            saved_by INTEGER NOT NULL REFERENCES users(id),
            PRIMARY KEY (assessment_id, item_id)
        ) WITHOUT ROWID;
        CREATE TABLE review_comments (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            author_id INTEGER NOT NULL REFERENCES users(id),
            item_id TEXT,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX review_comments_assessment ON review_comments(assessment_id);
        CREATE TABLE signatures (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            role TEXT NOT NULL CHECK (role IN ('assessor1', 'assessor2', 'informant')),
            png BLOB NOT NULL,
            signed_at TEXT NOT NULL,
            PRIMARY KEY (assessment_id, role)
        ) WITHOUT ROWID;
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor_id INTEGER,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT,
            old_json TEXT,
            new_json TEXT,
            reason TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

        -- The audit log is append-only.
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

        -- Answers and signatures change only while the assessment is a draft or returned.
        CREATE TRIGGER answers_locked_insert BEFORE INSERT ON answers
        WHEN (SELECT status FROM assessments WHERE id = NEW.assessment_id) NOT IN ('draft', 'returned')
        BEGIN SELECT RAISE(ABORT, 'answers of a submitted or approved assessment cannot change'); END;
        CREATE TRIGGER answers_locked_update BEFORE UPDATE ON answers
        WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) NOT IN ('draft', 'returned')
        BEGIN SELECT RAISE(ABORT, 'answers of a submitted or approved assessment cannot change'); END;
        CREATE TRIGGER answers_locked_delete BEFORE DELETE ON answers
        WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) NOT IN ('draft', 'returned')
        BEGIN SELECT RAISE(ABORT, 'answers of a submitted or approved assessment cannot change'); END;
        CREATE TRIGGER signatures_locked_insert BEFORE INSERT ON signatures
        WHEN (SELECT status FROM assessments WHERE id = NEW.assessment_id) NOT IN ('draft', 'returned')
        BEGIN SELECT RAISE(ABORT, 'signatures of a submitted or approved assessment cannot change'); END;
        CREATE TRIGGER signatures_locked_update BEFORE UPDATE ON signatures
        WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) NOT IN ('draft', 'returned')
        BEGIN SELECT RAISE(ABORT, 'signatures of a submitted or approved assessment cannot change'); END;
        CREATE TRIGGER signatures_locked_delete BEFORE DELETE ON signatures
        WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) NOT IN ('draft', 'returned')
        BEGIN SELECT RAISE(ABORT, 'signatures of a submitted or approved assessment cannot change'); END;

        -- Approved and superseded assessments are immutable, except approved -> superseded and the
        -- export flag; they are never deleted.
        CREATE TRIGGER assessments_no_delete BEFORE DELETE ON assessments
        WHEN OLD.status IN ('submitted', 'approved', 'superseded')
        BEGIN SELECT RAISE(ABORT, 'a submitted or approved assessment cannot be deleted'); END;
        """,
    )
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT_COLUMNS)
    db.execute(
        f"""
        CREATE TRIGGER assessments_approved_immutable BEFORE UPDATE ON assessments
        WHEN OLD.status IN ('approved', 'superseded') AND (
            {changed}
            OR NOT (NEW.status = OLD.status OR (OLD.status = 'approved' AND NEW.status = 'superseded'))
        )
        BEGIN SELECT RAISE(ABORT, 'an approved assessment is immutable; amend it as a new version'); END
        """
    )


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


@migrations()
def m005_lifecycle(db: Database) -> None:
    """After the decision: staff qualification, the on-site visit record, expert confirmations, each
    conclusion's policy version and validity, its 公示, the objections that open a 复评, the reviewed care
    advice and the care setting the person or guardian chose (signed)."""
    _execute_script(
        db,
        """
        ALTER TABLE users ADD COLUMN qualification TEXT CHECK (qualification IN ('assessor', 'expert'));
        CREATE TABLE visit_people (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            check_in_at TEXT NOT NULL,
            check_in_place TEXT NOT NULL,
            check_out_at TEXT,
            check_out_place TEXT,
            PRIMARY KEY (assessment_id, user_id)
        );
        CREATE TABLE visit_checks (
            assessment_id INTEGER PRIMARY KEY REFERENCES assessments(id),
            identity_checked INTEGER NOT NULL CHECK (identity_checked IN (0, 1)),
            guardian_present INTEGER NOT NULL CHECK (guardian_present IN (0, 1)),
            guardian_name TEXT,
            recorded_by INTEGER NOT NULL REFERENCES users(id),
            recorded_at TEXT NOT NULL
        );
        CREATE TABLE expert_confirmations (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            level INTEGER NOT NULL,
            confirmed_at TEXT NOT NULL,
            PRIMARY KEY (assessment_id, user_id)
        );
        CREATE TABLE conclusions (
            assessment_id INTEGER PRIMARY KEY REFERENCES assessments(id),
            policy_ref TEXT NOT NULL,
            policy_sha256 TEXT NOT NULL,
            level INTEGER NOT NULL,
            eligible INTEGER NOT NULL,
            decided_at TEXT NOT NULL,
            valid_from TEXT NOT NULL,
            valid_until TEXT NOT NULL,
            reapply_after TEXT NOT NULL,
            published_at TEXT,
            publicity_until TEXT,
            objection_until TEXT,
            superseded_by INTEGER REFERENCES assessments(id),
            confirmed_by INTEGER REFERENCES assessments(id),
            status_review_on TEXT,
            status_review_reason TEXT
        );
        CREATE TABLE objections (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            lodged_at TEXT NOT NULL,
            lodged_by TEXT NOT NULL,
            reason TEXT NOT NULL,
            recorded_by INTEGER NOT NULL REFERENCES users(id),
            review_id INTEGER UNIQUE REFERENCES assessments(id)
        );
        CREATE TABLE care_advice (
            assessment_id INTEGER PRIMARY KEY REFERENCES assessments(id),
            lines_json TEXT NOT NULL,
            saved_by INTEGER NOT NULL REFERENCES users(id),
            saved_at TEXT NOT NULL
        );
        CREATE TABLE care_choices (
            assessment_id INTEGER PRIMARY KEY REFERENCES assessments(id),
            setting TEXT NOT NULL CHECK (setting IN ('home', 'community', 'institution', 'hospital')),
            signer_name TEXT NOT NULL,
            signer_relation TEXT,
            signature_png BLOB NOT NULL,
            recorded_by INTEGER NOT NULL REFERENCES users(id),
            confirmed_at TEXT NOT NULL
        );
        CREATE TRIGGER care_advice_locked BEFORE INSERT ON care_advice
        WHEN (SELECT status FROM assessments WHERE id = NEW.assessment_id) NOT IN ('draft', 'returned')
        BEGIN SELECT RAISE(ABORT, 'the care advice of a submitted assessment cannot change'); END;
        CREATE TRIGGER care_advice_locked_update BEFORE UPDATE ON care_advice
        WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) NOT IN ('draft', 'returned')
        BEGIN SELECT RAISE(ABORT, 'the care advice of a submitted assessment cannot change'); END;
        CREATE TRIGGER care_choices_fixed BEFORE UPDATE ON care_choices
        BEGIN SELECT RAISE(ABORT, 'a signed care-setting choice cannot change'); END;
        CREATE TRIGGER conclusions_no_delete BEFORE DELETE ON conclusions
        BEGIN SELECT RAISE(ABORT, 'a conclusion cannot be deleted'); END;
        CREATE TRIGGER conclusions_fixed BEFORE UPDATE ON conclusions
        WHEN NEW.policy_ref IS NOT OLD.policy_ref OR NEW.policy_sha256 IS NOT OLD.policy_sha256
            OR NEW.level IS NOT OLD.level OR NEW.eligible IS NOT OLD.eligible OR NEW.decided_at IS NOT OLD.decided_at
            OR NEW.valid_from IS NOT OLD.valid_from OR NEW.valid_until IS NOT OLD.valid_until
            OR NEW.reapply_after IS NOT OLD.reapply_after
            OR (OLD.superseded_by IS NOT NULL AND NEW.superseded_by IS NOT OLD.superseded_by)
            OR (OLD.confirmed_by IS NOT NULL AND NEW.confirmed_by IS NOT OLD.confirmed_by)
            OR (OLD.published_at IS NOT NULL AND NEW.published_at IS NOT OLD.published_at)
        BEGIN SELECT RAISE(ABORT, 'a conclusion cannot change once recorded'); END;
        CREATE TRIGGER objections_no_delete BEFORE DELETE ON objections
        BEGIN SELECT RAISE(ABORT, 'an objection cannot be deleted'); END;
        CREATE TRIGGER visit_locked BEFORE INSERT ON visit_people
        WHEN (SELECT status FROM assessments WHERE id = NEW.assessment_id) NOT IN ('draft', 'returned')
        BEGIN SELECT RAISE(ABORT, 'the visit of a submitted assessment cannot change'); END;
        CREATE TRIGGER visit_locked_update BEFORE UPDATE ON visit_people
        WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) NOT IN ('draft', 'returned')
        BEGIN SELECT RAISE(ABORT, 'the visit of a submitted assessment cannot change'); END;
        """,
    )


def _execute_script(db: Database, script: str) -> None:
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


@migrations()
def m006_assessor_qualification_no(db: Database) -> None:
    """Each assessor's qualification certificate number, printed beside their name in the report (附录C)."""
    _execute_script(db, "ALTER TABLE users ADD COLUMN qualification_no TEXT;\n")


@migrations()
def m007_certificate_revocations(db: Database) -> None:
    """Certificates the agency root has revoked (a disabled user's), the source of every CRL it issues.
    Append-only: a CRL must keep listing what earlier CRLs listed."""
    _execute_script(
        db,
        """
        CREATE TABLE revocations (
            serial_hex TEXT PRIMARY KEY,
            user_id INTEGER REFERENCES users(id),
            revoked_at TEXT NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE TRIGGER revocations_append_only_update BEFORE UPDATE ON revocations
        BEGIN SELECT RAISE(ABORT, 'revocations cannot change'); END;
        CREATE TRIGGER revocations_append_only_delete BEFORE DELETE ON revocations
        BEGIN SELECT RAISE(ABORT, 'revocations cannot change'); END;
        """,
    )


@migrations()
def m008_visit_tasks(db: Database) -> None:
    """Visit tasks dispatched by the office server (派单), as this installation last pulled them, and the
    assessment started from each."""
    _execute_script(
        db,
        """
        CREATE TABLE visit_tasks (
            uid TEXT PRIMARY KEY,
            person_json TEXT NOT NULL,
            form_ref TEXT NOT NULL,
            assessor_a TEXT NOT NULL,
            assessor_b TEXT,
            expert TEXT,
            due_date TEXT NOT NULL,
            note TEXT,
            state TEXT NOT NULL,
            assessment_uid TEXT,
            linked_on_server INTEGER NOT NULL DEFAULT 0
        );
        """,
    )


@migrations()
def m009_lifecycle_records(db: Database) -> None:
    """The signed form of each after-the-decision fact (conclusion, 公示, objection, care setting, letter) as it
    travels between installations: one row per fact, one fact per slot, kept once (append-only; ``sent`` marks
    what a bundle has carried)."""
    _execute_script(
        db,
        """
        CREATE TABLE lifecycle_records (
            fact TEXT PRIMARY KEY,
            slot TEXT UNIQUE NOT NULL,
            kind TEXT NOT NULL,
            assessment_uid TEXT NOT NULL,
            payload TEXT NOT NULL,
            signature BLOB NOT NULL,
            attachment BLOB,
            created_at TEXT NOT NULL,
            sent INTEGER NOT NULL DEFAULT 0 CHECK (sent IN (0, 1))
        );
        CREATE TRIGGER lifecycle_records_no_delete BEFORE DELETE ON lifecycle_records
        BEGIN SELECT RAISE(ABORT, 'a signed lifecycle record cannot be deleted'); END;
        CREATE TRIGGER lifecycle_records_fixed BEFORE UPDATE ON lifecycle_records
        WHEN NEW.fact IS NOT OLD.fact OR NEW.slot IS NOT OLD.slot OR NEW.payload IS NOT OLD.payload
            OR NEW.signature IS NOT OLD.signature OR NEW.attachment IS NOT OLD.attachment
        BEGIN SELECT RAISE(ABORT, 'a signed lifecycle record cannot change'); END;
        """,
    )
