"""The committed OpenAPI document is the served one; the server's schema migrations are numbered and idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from ltc_assess.cli import main
from ltc_assess.server.app import create_app, openapi_text
from ltc_assess.storage.pg.migrations import STEPS, migrate

REPO = Path(__file__).resolve().parents[2]


def test_committed_openapi_document_equals_the_served_one(pg: str) -> None:
    migrate(pg)
    with TestClient(create_app(pg, pool_size=1)) as client:
        served = client.get("/openapi.json").json()
    committed = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == served, "regenerate: ltc-assess server openapi --out docs/openapi.json"
    assert served["openapi"].startswith("3.1")
    assert openapi_text() == (REPO / "docs" / "openapi.json").read_text(encoding="utf-8")
    insurer_paths = [p for p, ops in served["paths"].items() if any("insurer" in o.get("tags", []) for o in ops.values())]
    assert insurer_paths and all(p.startswith("/api/v1/") for p in insurer_paths)
    assert all(set(served["paths"][p]) == {"get"} for p in insurer_paths)  # read-only


def test_migrations_are_numbered_applied_once_and_in_order(pg: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LTC_LANG", "en")  # matches the CLI's English wording
    assert main(["server", "migrate", "--pg", pg]) == 0
    assert "base, dispatch" in capsys.readouterr().out
    assert main(["server", "migrate", "--pg", pg]) == 0
    assert "nothing to apply" in capsys.readouterr().out
    with psycopg.connect(pg) as con:
        rows = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
        assert rows == [(n, s.__name__.lstrip("_")) for n, s in enumerate(STEPS, start=1)]
        tables = {r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"assessments", "reports", "signed_records", "uploads", "audit", "tasks", "users"} <= tables


def test_audit_log_is_append_only_in_postgres(pg: str) -> None:
    from ltc_assess.storage.pg.repository import session

    migrate(pg)
    with session(pg) as store:
        store.audit("admin", "test", "x", None, {})
    with psycopg.connect(pg) as con:
        try:
            con.execute("DELETE FROM audit")
        except psycopg.errors.RaiseException as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError("the audit log accepted a DELETE")


def test_bad_pg_url_is_one_line_exit_2(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["server", "migrate", "--pg", "host=127.0.0.1 port=1 dbname=nothing connect_timeout=2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ltc-assess: error: PostgreSQL：") and err.count("\n") == 1


def test_server_check_finds_an_edited_audit_row(pg: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LTC_LANG", "en")  # matches the CLI's English wording
    from ltc_assess.storage.pg.repository import session

    migrate(pg)
    with session(pg) as store:
        store.audit("sup1", "assessment.approved", "assessment", "u1", {"level": 3})
        store.audit("sup1", "bundle.import", "bundle", "b1", {})
    assert main(["server", "check", "--pg", pg]) == 0
    assert "intact" in capsys.readouterr().out
    with psycopg.connect(pg) as con:  # the insider: triggers off, one row edited
        con.execute("ALTER TABLE audit DISABLE TRIGGER audit_no_change")
        con.execute("""UPDATE audit SET data = '{"level": 0}' WHERE entity_id = 'u1'""")
    assert main(["server", "check", "--pg", pg]) == 1
    assert "hash chain is broken" in capsys.readouterr().out
