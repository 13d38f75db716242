"""The insurer package carries each conclusion's policy version and validity (JSON, XLSX, FHIR and the signed
report), and still fits its schema."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from fhir.resources.R4B.observation import Observation
from world import World, with_signing_keys

from ltc_assess import paths
from ltc_assess.exchange.insurer import check_insurer_package

from .helpers import make_city, nhsa_ready, visit

pytestmark = pytest.mark.slow  # signs, approves and exports


def test_export_carries_policy_and_validity(world: World, tmp_path: Path) -> None:
    """Test that assessments.json names the policy version, validity and 公示 dates of the conclusion."""
    with_signing_keys(world, ("a1", "sup1", "sup2"))
    city = make_city(world, "tianjin")
    world.service.issue_certificate(world.admin, "e1", "root-passphrase", "e1-password")
    aid = nhsa_ready(city, world.a1, city.e1)
    visit(city, aid, world.a1, city.e1)
    world.service.submit(world.a1, aid, {"assessor1": "a1-password", "assessor2": "e1-password"})
    for e in (city.e1, city.e2):
        city.lc.confirm(e, aid, 5)
    world.service.approve(world.sup1, aid, "sup1-password")
    city.lc.publish(world.sup2, "2026-11-01", "2026-11-30")
    out = tmp_path / "pkg.zip"
    world.service.export_package(world.sup2, "sup2-password", out, "2026-01-01", "2026-12-31", "示例医保")
    package = check_insurer_package(out, [world.service.root_certificate()])
    entries = json.loads(package.files["assessments.json"])
    schema = json.loads((paths.bundle_root() / "schemas" / "assessments.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(entries, schema)
    conclusion = entries[0]["conclusion"]
    assert conclusion["policy"] == "tianjin@1" and len(conclusion["policy_sha256"]) == 64
    assert (conclusion["eligible"], conclusion["valid_from"], conclusion["valid_until"]) == (True, "2026-11-01", "2028-10-31")
    assert (conclusion["published_at"], conclusion["objection_until"]) == ("2026-11-01", "2026-12-07")
    sheet = openpyxl.load_workbook(io.BytesIO(package.files["assessments.xlsx"])).active
    cells = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]], strict=True))
    assert (cells["城市政策版本"], cells["结论有效期起"], cells["结论有效期止"]) == ("tianjin@1", "2026-11-01", "2028-10-31")
    assert (cells["可重新申请日期"], cells["公示日期"], cells["异议截止日期"]) == ("2027-05-01", "2026-11-01", "2026-12-07")
    row = next(csv.DictReader(io.StringIO(package.files["assessments.csv"].decode("utf-8-sig"))))
    assert (row["policy"], row["valid_from"], row["valid_until"]) == ("tianjin@1", "2026-11-01", "2028-10-31")
    obs = json.loads(package.files[f"fhir/Observation-{aid}.json"])
    Observation.model_validate(obs)
    parts = {c["code"]["coding"][0]["code"]: c for c in obs["component"]}
    assert parts["validity"]["valuePeriod"] == {"start": "2026-11-01", "end": "2028-10-31"}
    assert parts["policy"]["valueString"] == "tianjin@1"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(package.files[entries[0]["report_file"]])
    text = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "天津tianjin@1（未核实）" in text and "结论有效期2026-11-01至2028-10-31" in text
