"""Numbered schema migrations of the server database; each runs once, in order, in its own transaction.

A released step is never edited: a schema change is a new function appended to ``STEPS``.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

Step = Callable[[psycopg.Connection], None]


def _base(con: psycopg.Connection) -> None:
    """Users and the agency root, records with their evidence, pushes, sessions and the audit chain."""
    con.execute(
        """
        CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE users (
            id serial PRIMARY KEY,
            username text UNIQUE NOT NULL,
            display_name text NOT NULL,
            role text NOT NULL CHECK (role IN ('assessor', 'supervisor', 'admin', 'insurer')),
            disabled boolean NOT NULL DEFAULT false,
            cert_pem text,
            cert_sha256 text
        );
        CREATE TABLE revoked_certificates (cert_sha256 text PRIMARY KEY, revoked_at timestamptz NOT NULL);
        CREATE TABLE subjects (
            id serial PRIMARY KEY, uid text UNIQUE NOT NULL, id_number text UNIQUE NOT NULL, data jsonb NOT NULL
        );
        CREATE SEQUENCE change_seq;
        CREATE TABLE assessments (
            id serial PRIMARY KEY,
            uid text UNIQUE NOT NULL,
            subject_id integer NOT NULL REFERENCES subjects,
            status text NOT NULL,
            content_hash text NOT NULL,
            record jsonb NOT NULL,
            assessor1 text NOT NULL,
            assessor2 text,
            approved_by text,
            changed_by text NOT NULL,
            seq bigint NOT NULL DEFAULT nextval('change_seq'),
            updated_at timestamptz NOT NULL
        );
        CREATE INDEX assessments_seq ON assessments (seq);
        CREATE INDEX assessments_status_seq ON assessments (status, seq);
        CREATE TABLE reports (
            assessment_id integer NOT NULL REFERENCES assessments,
            revision integer NOT NULL,
            signer_role text NOT NULL,
            sha256 text NOT NULL,
            created_at text NOT NULL,
            pdf bytea NOT NULL,
            PRIMARY KEY (assessment_id, revision)
        );
        CREATE TABLE signed_records (
            assessment_id integer NOT NULL REFERENCES assessments,
            kind text NOT NULL,
            payload text NOT NULL,
            payload_sha256 text NOT NULL,
            signature bytea NOT NULL,
            PRIMARY KEY (assessment_id, kind, payload_sha256)
        );
        CREATE TABLE uploads (
            sha256 text PRIMARY KEY,
            username text NOT NULL,
            size bigint NOT NULL,
            received bigint NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL,
            result jsonb
        );
        CREATE TABLE upload_chunks (
            sha256 text NOT NULL REFERENCES uploads ON DELETE CASCADE,
            start bigint NOT NULL,
            data bytea NOT NULL,
            PRIMARY KEY (sha256, start)
        );
        CREATE TABLE bundles (
            bundle_id text PRIMARY KEY, signed_by text NOT NULL, pushed_by text NOT NULL,
            applied_at timestamptz NOT NULL, summary jsonb NOT NULL
        );
        CREATE TABLE conflicts (
            id serial PRIMARY KEY, assessment_uid text NOT NULL, bundle_id text NOT NULL,
            detected_at timestamptz NOT NULL, incoming jsonb NOT NULL, resolved_at timestamptz
        );
        CREATE TABLE challenges (nonce text PRIMARY KEY, username text NOT NULL, expires_at timestamptz NOT NULL);
        CREATE TABLE tokens (
            token_sha256 text PRIMARY KEY, user_id integer NOT NULL REFERENCES users, expires_at timestamptz NOT NULL
        );
        CREATE TABLE audit (
            id bigserial PRIMARY KEY,
            at text NOT NULL,
            actor text,
            action text NOT NULL,
            entity text NOT NULL,
            entity_id text,
            data jsonb NOT NULL,
            prev_hash text NOT NULL,
            hash text NOT NULL
        );
        CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
        CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
            FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
        """
    )


def _dispatch(con: psycopg.Connection) -> None:
    """Visit tasks (派单): the office assigns a person and a form to assessors A and B by a due date."""
    con.execute(
        """
        CREATE TABLE tasks (
            uid text PRIMARY KEY,
            person jsonb NOT NULL,
            form_ref text NOT NULL,
            assessor_a text NOT NULL,
            assessor_b text,
            expert text,
            due_date date NOT NULL,
            note text,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL,
            assessment_uid text UNIQUE,
            seq bigint NOT NULL DEFAULT nextval('change_seq')
        );
        CREATE INDEX tasks_assessors ON tasks (assessor_a, assessor_b);
        """
    )


def _checkpoints(con: psycopg.Connection) -> None:
    """Users' signatures over the audit chain's head (sent after each sync): a chain cut short or recomputed by
    whoever holds the database no longer matches them."""
    con.execute(
        """
        CREATE TABLE audit_checkpoints (
            id serial PRIMARY KEY,
            audit_id bigint NOT NULL,
            payload text NOT NULL,
            signature bytea NOT NULL,
            signed_by text NOT NULL,
            received_at timestamptz NOT NULL
        );
        """
    )


def _qualifications(con: psycopg.Connection) -> None:
    """Assessors' qualification numbers (附录C), so that a package exported from the server names them as the
    office's does."""
    con.execute("ALTER TABLE users ADD COLUMN qualification_no text")


def _lifecycle(con: psycopg.Connection) -> None:
    """After-the-decision facts as their signers signed them (conclusion, 公示, objection, care setting, letter)
    and the agency's newest CRL the server hands to laptops."""
    con.execute(
        """
        CREATE TABLE lifecycle_records (
            fact text PRIMARY KEY,
            slot text UNIQUE NOT NULL,
            kind text NOT NULL,
            assessment_uid text NOT NULL REFERENCES assessments (uid),
            payload text NOT NULL,
            signature bytea NOT NULL,
            attachment bytea,
            signer text NOT NULL,
            seq bigint NOT NULL DEFAULT nextval('change_seq'),
            received_at timestamptz NOT NULL
        );
        CREATE INDEX lifecycle_records_seq ON lifecycle_records (seq);
        CREATE INDEX lifecycle_records_assessment ON lifecycle_records (assessment_uid);
        """
    )


def _push_queue(con: psycopg.Connection) -> None:
    """Pushes acknowledged once stored and verified afterwards by a bounded queue: one entry per uploaded bundle
    (its SHA-256), queued until a verifier applies or refuses it in the transaction that writes its records.
    Uploads applied before this step keep their result and become applied entries."""
    con.execute(
        """
        CREATE TABLE push_queue (
            id bigserial PRIMARY KEY,
            sha256 text UNIQUE NOT NULL REFERENCES uploads,
            username text NOT NULL,
            language text NOT NULL,
            state text NOT NULL CHECK (state IN ('queued', 'applied', 'refused')),
            queued_at timestamptz NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            done_at timestamptz,
            outcome jsonb
        );
        CREATE INDEX push_queue_waiting ON push_queue (username, id) WHERE state = 'queued';
        INSERT INTO push_queue (sha256, username, language, state, queued_at, done_at, outcome)
            SELECT sha256, username, 'zh_CN', 'applied', created_at, created_at, result
            FROM uploads WHERE result IS NOT NULL ORDER BY created_at;
        """
    )


def _review_links(con: psycopg.Connection) -> None:
    """The 复评 of a decision found by the original it names (its conclusion's confirmed_by / superseded_by)."""
    con.execute("CREATE INDEX assessments_reviews ON assessments ((record ->> 'reviews'))")


def _visits(con: psycopg.Connection) -> None:
    """Each record's on-site visit as its submitting assessor signed it (people by username, the identity and
    guardian checks; no row: no signed visit), so that approval rules see who was on site on every installation;
    and each user's qualification (评估员/评估专家, enrolled from the office), which the on-site protocol counts."""
    con.execute(
        """
        ALTER TABLE users ADD COLUMN qualification text CHECK (qualification IN ('assessor', 'expert'));
        CREATE TABLE visits (
            assessment_id integer PRIMARY KEY REFERENCES assessments,
            identity_checked boolean,
            guardian_present boolean,
            guardian_name text,
            recorded_by text,
            recorded_at text,
            CHECK ((recorded_by IS NULL) = (identity_checked IS NULL AND guardian_present IS NULL))
        );
        CREATE TABLE visit_people (
            assessment_id integer NOT NULL REFERENCES visits,
            username text NOT NULL,
            check_in_at text NOT NULL,
            check_in_place text NOT NULL,
            check_out_at text,
            check_out_place text,
            PRIMARY KEY (assessment_id, username)
        );
        """
    )


TRIGGERS = {"audit_no_change": "audit"}  # trigger -> table: what ``server check`` expects enabled

STEPS: tuple[Step, ...] = (
    _base, _dispatch, _checkpoints, _qualifications, _lifecycle, _push_queue, _review_links, _visits
)  # fmt: skip


def version(con: psycopg.Connection) -> int:
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text, at timestamptz)")
    row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0) if row else 0


def migrate(conninfo: str) -> list[str]:
    """Bring the database to the newest schema; returns the names of the steps applied now."""
    from ltc_assess.storage.pg.repository import pg_errors

    applied = []
    with pg_errors(), psycopg.connect(conninfo, autocommit=True) as con:
        con.execute("SELECT pg_advisory_lock(15150)")  # two servers started at once migrate one after the other
        try:
            for number, step in enumerate(STEPS, start=1):
                with con.transaction():
                    if version(con) >= number:
                        continue
                    step(con)
                    con.execute(
                        "INSERT INTO schema_migrations VALUES (%s, %s, now())", [number, step.__name__.lstrip("_")]
                    )
                    applied.append(step.__name__.lstrip("_"))
        finally:
            con.execute("SELECT pg_advisory_unlock(15150)")
    return applied
