"""Insurer export: a signed package of approved assessments, verified like an insurer would; tampering,
wrong roots, roles and re-export."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from world import World, complete_barthel, with_signing_keys

from ltc_assess import paths
from ltc_assess.errors import AppError
from ltc_assess.exchange.insurer import check_insurer_package
from ltc_assess.exchange.package import read_package

pytestmark = pytest.mark.slow  # signs, approves and exports insurer packages


@pytest.fixture
def signed_world(world: World) -> World:
    s = world.service
    with_signing_keys(world)
    for values in (10, 5):
        aid = complete_barthel(world, values)
        s.submit(world.a1, aid, {"assessor1": "a1-password", "assessor2": "a2-password"})
        s.approve(world.sup1, aid, "sup1-password")
    complete_barthel(world)  # a draft: never exported
    return world


def _export(world: World, out: Path) -> dict:
    return world.service.export_package(world.sup2, "sup2-password", out, "2026-01-01", "2026-12-31", "示例医保")


def test_package_verifies_and_follows_the_schema(signed_world: World, tmp_path: Path) -> None:
    """Test that the package verifies against the root, holds every part, and assessments.json fits its schema."""
    out = tmp_path / "pkg.zip"
    manifest = _export(signed_world, out)
    assert manifest["counts"] == {"assessments": 2} and manifest["insurer"] == "示例医保"
    package = check_insurer_package(out, [signed_world.service.root_certificate()])
    names = set(package.files)
    assert {"assessments.json", "assessments.csv", "reports/1.pdf", "reports/2.pdf",
            "fhir/Questionnaire-barthel-v1.json", "fhir/QuestionnaireResponse-1.json"} <= names
    entries = json.loads(package.files["assessments.json"])
    schema = json.loads((paths.bundle_root() / "schemas" / "assessments.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(entries, schema)
    assert [e["decided_level"]["name"] for e in entries] == ["轻度依赖", "中度依赖"]
    assert package.files["assessments.csv"].startswith(b"\xef\xbb\xbfid,subject_name")


@pytest.mark.parametrize("victim", ["reports/1.pdf", "assessments.json", "manifest.json"])
def test_any_changed_byte_is_rejected_naming_the_file(signed_world: World, tmp_path: Path, victim: str, english: None) -> None:
    """Test that flipping one byte of a report, the JSON or the manifest makes verification fail, naming it."""
    out = tmp_path / "pkg.zip"
    _export(signed_world, out)
    files = read_package(out)
    data = bytearray(files[victim])
    data[len(data) // 2] ^= 0x01
    files[victim] = bytes(data)
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    with pytest.raises(AppError) as info:
        check_insurer_package(out, [signed_world.service.root_certificate()])
    expected = "manifest.json does not match its signature" if victim == "manifest.json" else victim
    assert expected in str(info.value)


def test_wrong_root_and_truncation_are_rejected(signed_world: World, tmp_path: Path, english: None) -> None:
    """Test that another agency's root is not trusted and a truncated package is refused."""
    from ltc_assess.signing.keys import create_root

    out = tmp_path / "pkg.zip"
    _export(signed_world, out)
    other = create_root("别的机构", "root-passphrase", signed_world.clock())
    with pytest.raises(AppError, match="not trusted"):
        check_insurer_package(out, [other.cert_pem])
    out.write_bytes(out.read_bytes()[:-100])
    with pytest.raises(AppError, match="not a readable package"):
        check_insurer_package(out, [signed_world.service.root_certificate()])


def test_reexport_is_idempotent(signed_world: World, tmp_path: Path) -> None:
    """Test that exporting twice gives the same files and keeps the first export time on each record."""
    _export(signed_world, tmp_path / "a")
    first = signed_world.service.assessment(1).exported_at
    signed_world.clock.now = signed_world.clock.now.replace(hour=17)
    _export(signed_world, tmp_path / "b")
    a, b = read_package(tmp_path / "a"), read_package(tmp_path / "b")
    same = {k for k in a if not k.startswith("manifest")}
    assert {k: a[k] for k in same} == {k: b[k] for k in same}
    assert signed_world.service.assessment(1).exported_at == first


def test_only_supervisors_and_admins_export(signed_world: World, tmp_path: Path) -> None:
    """Test that an assessor cannot export and a wrong password writes nothing."""
    with pytest.raises(AppError, match="只有审核员或管理员"):
        signed_world.service.export_package(signed_world.a1, "a1-password", tmp_path / "x", "2026-01-01", "2026-12-31")
    with pytest.raises(AppError, match="签名密码错误"):
        signed_world.service.export_package(signed_world.sup2, "nope-nope", tmp_path / "y", "2026-01-01", "2026-12-31")
    assert not (tmp_path / "y").exists()
