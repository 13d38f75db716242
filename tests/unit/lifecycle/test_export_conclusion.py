"""The insurer package carries each conclusion's policy version and validity, and still fits its schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
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
