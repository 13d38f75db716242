"""``ltc-assess export --pg``: the insurer package built from the server's PostgreSQL by the desktop's exporter.

The office approves two assessments and syncs them to the server; a package exported from the server then holds
the same records with the same fields and report bytes as one exported from the office's own database, and both
pass ``verify-package``; a decision under a city policy carries the same conclusion (policy, validity, 公示) from
the server's signed lifecycle records as from the office's tables. An insider who edits an approved record in PostgreSQL is named by ``server check`` and
stops the export; a disabled trigger and a status column flipped by SQL are found too."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import psycopg
import pytest

from ltc_assess.cli import main
from ltc_assess.signing.pades import only_timestamps_added

from .conftest import Agency, pg_store_do
from .test_lifecycle_sync import _lifecycle_done
from .test_limits import _second_person, _submit
from .test_server_flow import _sync

PERIOD = ["--from", "2000-01-01", "--to", "2100-01-01"]
IDS = ("id", "supersedes_id", "report_file", "report_sha256")  # each database numbers its own records; each
# first export adds its own document timestamp to the report (compared below)


@pytest.fixture
def approved(agency: Agency) -> list[str]:
    """Two assessments submitted on a laptop, approved at the office and synced to the server; their uids."""
    uids = [_submit(agency, agency.world.subject.id), _submit(agency, _second_person(agency))]
    _sync(agency, agency.laptop1, "a1")
    _sync(agency, agency.office, "sup1")
    sup1 = agency.office.store.user_by_name("sup1")
    for uid in uids:
        record = agency.office.store.assessment_by_uid(uid)
        assert record is not None
        agency.office.approve(sup1, record.id, "sup1-password")  # type: ignore[arg-type]
    _sync(agency, agency.office, "sup1")
    return uids


def _export(agency: Agency, out: Path, monkeypatch: pytest.MonkeyPatch, *pg: str) -> int:
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "sup1-password")
    db = ["--db", str(agency.office.path)]
    return main(["export", *PERIOD, "--insurer", "医保中心", "--out", str(out), "--as", "sup1", *db, *pg])


def _verify(agency: Agency, package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    root = tmp_path / "root.pem"
    root.write_bytes(agency.office.root_certificate())
    capsys.readouterr()
    code = main(["verify-package", str(package), "--trust", str(root)])
    return code, capsys.readouterr().out


def _entries(package: Path) -> list[dict]:
    entries = json.loads((package / "assessments.json").read_text(encoding="utf-8"))
    return sorted(
        ({k: v for k, v in e.items() if k not in IDS} for e in entries), key=lambda e: e["subject"]["id_number"]
    )


def _reports(agency: Agency, package: Path) -> dict[str, bytes]:
    """Each report of ``package`` by the uid of its record, checked to be the supervisor's signed report (as the
    office holds it) with only the export's document timestamp added."""
    root = agency.office.root_certificate()
    found = {}
    for e in json.loads((package / "assessments.json").read_text(encoding="utf-8")):
        pdf = (package / e["report_file"]).read_bytes()
        assert hashlib.sha256(pdf).hexdigest() == e["report_sha256"]
        held = [
            r for r in agency.office.queries.report_revisions(_office_id(agency, e)) if r["signer_role"] == "supervisor"
        ]
        assert only_timestamps_added(pdf, bytes(held[-1]["pdf"]), [root])
        found[e["subject"]["id_number"]] = pdf
    return found


def _office_id(agency: Agency, entry: dict) -> int:
    rows = agency.office.list_assessments(limit=1000)
    return next(r["id"] for r in rows if r["id_number"] == entry["subject"]["id_number"] and r["status"] == "approved")


def test_the_server_package_equals_the_office_package_and_verifies(
    agency: Agency,
    approved: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LTC_LANG", "en")  # matches the CLI's English wording
    office_pkg, server_pkg = tmp_path / "office", tmp_path / "server"
    assert _export(agency, office_pkg, monkeypatch) == 0
    assert _export(agency, server_pkg, monkeypatch, "--pg", agency.conninfo) == 0
    assert "package written" in capsys.readouterr().out
    for package in (office_pkg, server_pkg):
        code, out = _verify(agency, package, tmp_path, capsys)
        assert code == 0 and "2 assessments" in out and "VALID" in out, out
    assert len(_entries(server_pkg)) == 2
    assert _entries(server_pkg) == _entries(office_pkg)  # same records, same fields (names, levels, scores…)
    assert _reports(agency, server_pkg).keys() == _reports(agency, office_pkg).keys()  # the reports sup1 signed
    manifest = json.loads((server_pkg / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["exported_by"] == "sup1" and manifest["insurer"] == "医保中心"
    signed = json.loads(manifest["audit_checkpoint"]["payload"])
    kept = pg_store_do(agency.conninfo, lambda s: s.rows("SELECT audit_id, signed_by FROM audit_checkpoints"))
    assert {"audit_id": signed["audit_id"], "signed_by": "sup1"} in kept  # the server's chain, vouched for
    logged = pg_store_do(agency.conninfo, lambda s: s.rows("SELECT actor FROM audit WHERE action = 'export.package'"))
    assert logged == [{"actor": "sup1"}]
    assert main(["server", "check", "--pg", agency.conninfo]) == 0  # the stamped copies kept are vouched for
    again = tmp_path / "again"
    assert _export(agency, again, monkeypatch, "--pg", agency.conninfo) == 0
    assert _reports(agency, again) == _reports(agency, server_pkg)  # exporting again gives the same files


def test_an_assessor_cannot_export_from_the_server(
    agency: Agency,
    approved: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "a1-password")
    out = tmp_path / "pkg"
    db = ["--db", str(agency.office.path)]
    code = main(["export", *PERIOD, "--out", str(out), "--as", "a1", *db, "--pg", agency.conninfo])
    assert code == 2 and not out.exists()
    assert "Traceback" not in capsys.readouterr().err


def test_a_record_edited_in_postgresql_is_named_by_the_check_and_stops_the_export(
    agency: Agency,
    approved: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LTC_LANG", "en")  # the CLI's messages are matched in English
    uid = approved[1]
    with psycopg.connect(agency.conninfo, autocommit=True) as con:  # the insider: the decided level raised by SQL
        con.execute(
            "UPDATE assessments SET record = jsonb_set(record, '{fields,decided_level}', '4') WHERE uid = %s", [uid]
        )
        (server_id,) = con.execute("SELECT id FROM assessments WHERE uid = %s", [uid]).fetchone()  # type: ignore[misc]
    capsys.readouterr()
    assert main(["server", "check", "--pg", agency.conninfo]) == 1
    out = capsys.readouterr().out
    assert f"assessment {uid}: the record differs from what its signer signed in the approval record" in out, out
    assert "decided_level" in out
    package = tmp_path / "pkg"
    assert _export(agency, package, monkeypatch, "--pg", agency.conninfo) == 2
    err = capsys.readouterr().err
    assert f"server assessment {server_id} ({uid})" in err and "not exported" in err, err
    assert not package.exists()
    logged = pg_store_do(agency.conninfo, lambda s: s.rows("SELECT 1 FROM audit WHERE action = 'export.package'"))
    assert logged == []  # nothing left the server


def test_a_swapped_report_a_flipped_status_a_disabled_trigger_and_a_promotion_are_found(
    agency: Agency,
    approved: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LTC_LANG", "en")  # the CLI's messages are matched in English
    first, second = approved
    with psycopg.connect(agency.conninfo, autocommit=True) as con:
        # the approved report of the first replaced by its submitted one; the second hidden from exports
        con.execute(
            "UPDATE reports SET pdf = (SELECT pdf FROM reports r WHERE r.assessment_id = reports.assessment_id"
            " ORDER BY revision LIMIT 1), sha256 = (SELECT sha256 FROM reports r WHERE"
            " r.assessment_id = reports.assessment_id ORDER BY revision LIMIT 1)"
            " WHERE assessment_id = (SELECT id FROM assessments WHERE uid = %s)"
            " AND revision = (SELECT max(revision) FROM reports r WHERE r.assessment_id = reports.assessment_id)",
            [first],
        )
        con.execute("UPDATE assessments SET status = 'returned' WHERE uid = %s", [second])
        con.execute("ALTER TABLE audit DISABLE TRIGGER audit_no_change")
        con.execute("UPDATE users SET role = 'supervisor' WHERE username = 'a3'")  # an assessor promoted by SQL
    capsys.readouterr()
    assert main(["server", "check", "--pg", agency.conninfo]) == 1
    out = capsys.readouterr().out
    assert f"assessment {second}: column status is 'returned', its record says 'approved'" in out, out
    assert "trigger audit_no_change on audit is missing or disabled" in out
    assert "user a3: role is 'supervisor', but the last enrolment recorded 'assessor'" in out
    assert f"assessment {first}:" in out
    assert _export(agency, tmp_path / "pkg", monkeypatch, "--pg", agency.conninfo) == 2
    assert f"({first})" in capsys.readouterr().err


def test_an_approved_record_hidden_from_exports_by_sql_is_named(
    agency: Agency,
    approved: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LTC_LANG", "en")  # the CLI's messages are matched in English
    first, second = approved
    with psycopg.connect(agency.conninfo, autocommit=True) as con:
        # the first's status column set back; the second's column and record both (an approval is never undone)
        con.execute("UPDATE assessments SET status = 'submitted' WHERE uid = %s", [first])
        con.execute(
            "UPDATE assessments SET status = 'returned',"
            " record = jsonb_set(record, '{fields,status}', '\"returned\"') WHERE uid = %s",
            [second],
        )
    capsys.readouterr()
    assert main(["server", "check", "--pg", agency.conninfo]) == 1
    out = capsys.readouterr().out
    assert f"assessment {second}: has a signed approval, but its record says 'returned'" in out, out
    assert f"assessment {first}: column status is 'submitted', its record says 'approved'" in out, out
    assert _export(agency, tmp_path / "pkg", monkeypatch, "--pg", agency.conninfo) == 2
    err = capsys.readouterr().err
    assert f"({first}): status 'submitted', its record 'approved'; not exported" in err, err


def test_a_decision_under_a_city_policy_carries_the_same_conclusion_from_the_server(
    agency: Agency,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uid, lc, aid = _lifecycle_done(agency)  # 成都: approved, published (公示), care setting, letter; pushed
    office_pkg, server_pkg = tmp_path / "office", tmp_path / "server"
    assert _export(agency, office_pkg, monkeypatch) == 0
    assert _export(agency, server_pkg, monkeypatch, "--pg", agency.conninfo) == 0
    (office,), (server,) = _entries(office_pkg), _entries(server_pkg)
    held = lc.conclusion(aid)
    conclusion = server["conclusion"]
    assert conclusion is not None and conclusion["policy"] == held["policy_ref"]
    assert (conclusion["valid_until"], conclusion["published_at"]) == (held["valid_until"], held["published_at"])
    assert conclusion["objection_until"] and conclusion["eligible"] is bool(held["eligible"])
    assert server == office  # the conclusion too, field for field
    code, out = _verify(agency, server_pkg, tmp_path, capsys)
    assert code == 0 and "VALID" in out, out


def test_a_conclusion_edited_in_postgresql_stops_the_export(
    agency: Agency,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LTC_LANG", "en")  # the CLI's messages are matched in English
    uid, _lc, _aid = _lifecycle_done(agency)

    def extend(store) -> None:  # type: ignore[no-untyped-def]  # the insider lengthens the validity by SQL
        row = store.one("SELECT fact, payload FROM lifecycle_records WHERE kind = 'conclusion'")
        payload = json.loads(row["payload"]) | {"valid_until": "2099-12-31"}
        store.con.execute(
            "UPDATE lifecycle_records SET payload = %s WHERE fact = %s", [json.dumps(payload), row["fact"]]
        )

    pg_store_do(agency.conninfo, extend)
    package = tmp_path / "pkg"
    capsys.readouterr()
    assert _export(agency, package, monkeypatch, "--pg", agency.conninfo) == 2
    err = capsys.readouterr().err
    assert f"({uid})" in err and "conclusion" in err and "not exported" in err, err
    assert not package.exists() and "Traceback" not in err
