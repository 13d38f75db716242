"""One decided level everywhere in an insurer package: the approved PDF, assessments.json, the CSV, the XLSX and
the FHIR Observation all say the supervisor's level, never the engine's proposal; corrections are marked."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import openpyxl
import pytest
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.observation import Observation
from world import World, complete_barthel, id_number, with_signing_keys

from ltc_assess.exchange.fhir_result import CODE_SYSTEM_URL
from ltc_assess.exchange.insurer import check_insurer_package
from ltc_assess.storage.records import Subject

pytestmark = pytest.mark.slow  # signs, approves and exports insurer packages (pdftotext, pdfsig)


@pytest.fixture
def package(world: World, tmp_path: Path) -> tuple[World, dict[str, bytes], int, int]:
    """Two approved barthel assessments: one decided 2 over a proposed 1 (with 参保号), and a correction of
    the other (version 2 superseding version 1)."""
    s = world.service
    with_signing_keys(world, ("a1", "a2", "sup1", "sup2"))
    subject, _ = s.register_subject(world.a1, name="李示例", sex="male", id_number=id_number("11010519500101123"),
                                    insurance_no="0012345678", phone="01062345678")
    decided = complete_barthel(world)
    s.store.update_assessment(decided, subject_id=subject.id)
    s.submit(world.a1, decided, {"assessor1": "a1-password", "assessor2": "a2-password"})
    s.decide_level(world.sup1, decided, 2, "夜间需协助")
    s.approve(world.sup1, decided, "sup1-password")
    first = complete_barthel(world, values=5)
    s.submit(world.a1, first, {"assessor1": "a1-password", "assessor2": "a2-password"})
    s.approve(world.sup1, first, "sup1-password")
    correction, _ = s.amend(world.sup2, first, "录入错误")
    s.save_answer(world.a1, correction.id, "BI.1", 10)
    s.submit(world.a1, correction.id, {"assessor1": "a1-password", "assessor2": "a2-password"})
    s.approve(world.sup1, correction.id, "sup1-password")
    out = tmp_path / "pkg"
    s.export_package(world.sup2, "sup2-password", out, "2026-01-01", "2026-12-31")
    files = check_insurer_package(out, [s.root_certificate()]).files
    return world, files, decided, correction.id


def _subject(world: World, aid: int) -> Subject:
    return world.service.subject(world.service.assessment(aid).subject_id)


def test_every_file_states_the_decided_level(package: tuple[World, dict[str, bytes], int, int], tmp_path: Path) -> None:
    """Test that JSON, CSV, XLSX, FHIR and the signed PDF give level 2 中度依赖 where 1 was proposed."""
    world, files, aid, _ = package
    entry = next(e for e in json.loads(files["assessments.json"]) if e["id"] == aid)
    assert entry["decided_level"] == {"code": 2, "name": "中度依赖"} and entry["proposed_level"]["code"] == 1
    assert entry["approved_by"] == "sup1 名" and [a["name"] for a in entry["assessors"]] == ["a1 名", "a2 名"]
    row = next(r for r in csv.DictReader(io.StringIO(files["assessments.csv"].decode("utf-8-sig"))) if r["id"] == str(aid))
    assert (row["decided_level"], row["decided_level_name"], row["proposed_level"]) == ("2", "中度依赖", "1")
    sheet = openpyxl.load_workbook(io.BytesIO(files["assessments.xlsx"])).active
    header = [c.value for c in sheet[1]]
    xrow = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == aid)
    cell = dict(zip(header, xrow, strict=True))
    assert cell["核定等级代码"].value == 2 and cell["核定等级"].value == "中度依赖"
    obs = json.loads(files[f"fhir/Observation-{aid}.json"])
    Observation.model_validate(obs)
    assert obs["valueCodeableConcept"]["coding"][0] == {
        "system": CODE_SYSTEM_URL, "code": "barthel.level.2", "display": "中度依赖"}
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(files[entry["report_file"]])
    text = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "审核核定等级：2中度依赖" in text and "未经审核批准" not in text


def test_xlsx_keeps_identifiers_as_text(package: tuple[World, dict[str, bytes], int, int]) -> None:
    """Test that ID numbers, 参保号 and phones are text cells holding every digit (leading zeros too), codes
    have their labels beside them, and dimension scores, assessors and approver have columns."""
    world, files, aid, _ = package
    sheet = openpyxl.load_workbook(io.BytesIO(files["assessments.xlsx"])).active
    header = [c.value for c in sheet[1]]
    cell = dict(zip(header, next(r for r in sheet.iter_rows(min_row=2) if r[0].value == aid), strict=True))
    subject = _subject(world, aid)
    for column, value in (("公民身份号码", subject.id_number), ("参保号", "0012345678"), ("联系电话", "01062345678")):
        assert cell[column].data_type == "s" and cell[column].value == value, column
    assert cell["评估记录编号"].data_type == "n"
    assert header.index("性别") == header.index("性别代码") + 1 and cell["性别"].value == "男"
    assert header.index("核定等级") == header.index("核定等级代码") + 1
    assert cell["评估原因"].value == "首次评估" and cell["评估标准"].value.startswith("Barthel")
    assert cell["日常生活活动能力得分（barthel）"].value == 90  # 8 items at 10, bathing and grooming at 5
    assert (cell["评估员（一）"].value, cell["评估员（二）"].value, cell["审核批准人"].value) == ("a1 名", "a2 名", "sup1 名")


def test_csv_is_quoted_and_carries_versions(package: tuple[World, dict[str, bytes], int, int]) -> None:
    """Test that every text field of the CSV is quoted and the correction's row has version_no 2 and the id it
    supersedes; the superseded version is not exported."""
    world, files, _aid, correction = package
    text = files["assessments.csv"].decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    fixed = next(r for r in rows if r["id"] == str(correction))
    superseded = world.service.assessment(correction).supersedes_id
    assert (fixed["version_no"], fixed["supersedes_id"]) == ("2", str(superseded))
    assert str(superseded) not in [r["id"] for r in rows]
    line = text.splitlines()[1]
    assert f'"{rows[0]["id_number"]}"' in line and '"barthel"' in line


def test_manifest_lists_xlsx_and_fhir_results(package: tuple[World, dict[str, bytes], int, int]) -> None:
    """Test that the signed manifest covers assessments.xlsx, each Observation and our CodeSystem, which is valid
    and defines every code the Observations use."""
    world, files, aid, correction = package
    assert {"assessments.xlsx", f"fhir/Observation-{aid}.json", f"fhir/Observation-{correction}.json",
            "fhir/CodeSystem-ltc-assessment.json"} <= set(files)
    system = json.loads(files["fhir/CodeSystem-ltc-assessment.json"])
    CodeSystem.model_validate(system)
    defined = {c["code"] for c in system["concept"]}
    obs = json.loads(files[f"fhir/Observation-{aid}.json"])
    used = {obs["code"]["coding"][0]["code"]} | {c["code"]["coding"][0]["code"] for c in obs["component"]}
    assert system["url"] == CODE_SYSTEM_URL and used <= defined and {"barthel.adl", "proposed-level", "total"} <= used


def test_export_is_reproducible(package: tuple[World, dict[str, bytes], int, int], tmp_path: Path) -> None:
    """Test that exporting again gives the same XLSX bytes (packages are reproducible)."""
    world, files, _aid, _ = package
    s = world.service
    again = tmp_path / "again"
    s.export_package(world.sup2, "sup2-password", again, "2026-01-01", "2026-12-31")
    assert (again / "assessments.xlsx").read_bytes() == files["assessments.xlsx"]


def test_package_check_verifies_the_embedded_submission(world: World, tmp_path: Path) -> None:
    """Test that an insider who re-signs an approved report around a changed submission (its assessors'
    signatures broken) is caught by the package check, naming the report and the attachment."""
    import hashlib

    from ltc_assess.errors import AppError
    from ltc_assess.signing.attach import embed_submitted, submitted_report
    from ltc_assess.storage.db import transaction

    s = world.service
    with_signing_keys(world, ("a1", "a2", "sup1", "sup2"))
    aid = complete_barthel(world)
    s.submit(world.a1, aid, {"assessor1": "a1-password", "assessor2": "a2-password"})
    s.approve(world.sup1, aid, "sup1-password")
    submitted = bytearray(submitted_report(s.report_pdf(aid)) or b"")
    submitted[len(submitted) // 3] ^= 0x01  # inside the assessors' signed range
    forged = s.keys.sign(embed_submitted(s.render_report(aid, True), bytes(submitted)), world.sup1.id, "sup1-password",
                     "supervisor", "审核批准")
    with transaction(s.db):
        s.store.add_report(aid, "supervisor", forged, hashlib.sha256(forged).hexdigest(), "2026-11-02T00:00:00+00:00")
    out = tmp_path / "pkg.zip"
    s.export_package(world.sup2, "sup2-password", out, "2026-01-01", "2026-12-31")
    with pytest.raises(AppError, match=r"reports/1\.pdf \(submitted-report\.pdf\)"):
        check_insurer_package(out, [s.root_certificate()])
