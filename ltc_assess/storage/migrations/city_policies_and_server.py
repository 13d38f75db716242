"""The steps of the city-policy and office-server era (m005–m008): what follows the decision (visit,
confirmations, conclusions, objections, care), qualification numbers, certificate revocations, visit tasks.
Released: never edited."""

from __future__ import annotations

from sqlite_utils import Database

from ltc_assess.storage.migrations import signing_and_exchange  # noqa: F401 - its steps come first
from ltc_assess.storage.migrations.runner import execute_script as _execute_script
from ltc_assess.storage.migrations.runner import migrations


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
