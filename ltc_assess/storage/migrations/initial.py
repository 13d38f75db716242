"""The first released schema (m001): users, people, assessments with their answers, comments, signatures, the
audit chain and the triggers that keep submitted and approved records as they were. Released: never edited."""

from __future__ import annotations

from sqlite_utils import Database

from ltc_assess.storage.migrations.runner import execute_script as _execute_script
from ltc_assess.storage.migrations.runner import migrations

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
