"""Bundles between a laptop and the office: the full cycle, idempotency, conflicts, and rejected bundles."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from world import World, complete_barthel, with_signing_keys

from ltc_assess import bundle_seal
from ltc_assess.bundles import export_bundle, import_bundle
from ltc_assess.errors import AppError
from ltc_assess.exchange.insurer import check_insurer_package
from ltc_assess.exchange.package import read_package
from ltc_assess.service import AssessmentService
from ltc_assess.workflow import Status

pytestmark = pytest.mark.slow  # signed reports and bundles between laptop, office and insurer

SIGNERS = {"assessor1": "a1-password", "assessor2": "a2-password"}


@pytest.fixture
def sites(world: World, tmp_path: Path) -> tuple[World, AssessmentService]:
    """The office (world) with keys, and a laptop provisioned as a copy of the office database."""
    s = world.service
    with_signing_keys(world)
    laptop = AssessmentService(s.backup(tmp_path / "laptop.db"), clock=world.clock)
    laptop.login("a1", "a1-password")  # the copy is encrypted like the office database: a password opens it
    yield world, laptop
    laptop.close()


def _bundle(service: AssessmentService, user: str, out: Path) -> Path:
    export_bundle(service, service.store.user_by_name(user), f"{user}-password", out)  # type: ignore[arg-type]
    return out


def test_full_cycle_laptop_office_insurer(sites: tuple[World, AssessmentService], tmp_path: Path) -> None:
    """Test create → bundle → import → return → fix → bundle → import → approve → bundle back → export → verify."""
    office_world, laptop = sites
    office = office_world.service
    a1 = laptop.store.user_by_name("a1")
    sup1 = office.store.user_by_name("sup1")
    # on the laptop: a new assessment, submitted (both assessors sign)
    laptop_world = World(laptop, office_world.clock, office_world.admin, a1, office_world.a2, office_world.a3,  # type: ignore[arg-type]
                         sup1, office_world.sup2, office_world.subject)  # type: ignore[arg-type]
    aid = complete_barthel(laptop_world)
    laptop.submit(a1, aid, SIGNERS)  # type: ignore[arg-type]
    uid = laptop.assessment(aid).uid
    summary = import_bundle(office, sup1, _bundle(laptop, "a1", tmp_path / "b1.zip"))  # type: ignore[arg-type]
    assert summary.added == [uid]
    at_office = office.store.assessment_by_uid(uid)
    assert at_office is not None and at_office.status == Status.SUBMITTED
    assert at_office.answers == laptop.assessment(aid).answers
    # office returns it; the laptop gets the comment
    office.return_for_correction(sup1, at_office.id, "请核对洗澡")  # type: ignore[arg-type]
    summary = import_bundle(laptop, a1, _bundle(office, "sup1", tmp_path / "b2.zip"))  # type: ignore[arg-type]
    assert summary.updated == [uid]
    assert laptop.assessment(aid).status == Status.RETURNED
    assert [c.body for c in laptop.comments(aid)] == ["请核对洗澡"]
    # the laptop fixes and resubmits; the office approves
    laptop.save_answer(a1, aid, "BI.2", 0)  # type: ignore[arg-type]
    laptop.submit(a1, aid, SIGNERS)  # type: ignore[arg-type]
    summary = import_bundle(office, sup1, _bundle(laptop, "a1", tmp_path / "b3.zip"))  # type: ignore[arg-type]
    assert summary.updated == [uid]
    office.approve(sup1, at_office.id, "sup1-password")  # type: ignore[arg-type]
    summary = import_bundle(laptop, a1, _bundle(office, "sup1", tmp_path / "b4.zip"))  # type: ignore[arg-type]
    assert laptop.assessment(aid).status == Status.APPROVED
    # the insurer package verifies
    out = tmp_path / "insurer.zip"
    office.export_package(office.store.user_by_name("sup2"), "sup2-password", out, "2000-01-01", "2100-01-01")  # type: ignore[arg-type]
    assert check_insurer_package(out, [office.root_certificate()]).manifest["counts"] == {"assessments": 1}
    assert office.check() == [] and laptop.check() == []


def test_importing_twice_changes_nothing(sites: tuple[World, AssessmentService], tmp_path: Path) -> None:
    """Test that the same bundle imported twice leaves the database as after the first import."""
    office_world, laptop = sites
    a1 = laptop.store.user_by_name("a1")
    laptop_world = World(laptop, office_world.clock, office_world.admin, a1, office_world.a2, office_world.a3,  # type: ignore[arg-type]
                         office_world.sup1, office_world.sup2, office_world.subject)
    complete_barthel(laptop_world)
    bundle = _bundle(laptop, "a1", tmp_path / "b.zip")
    import_bundle(office_world.service, office_world.sup1, bundle)
    before = office_world.service.store.count("audit"), office_world.service.store.count("assessments")
    again = import_bundle(office_world.service, office_world.sup1, bundle)
    assert again.already_imported
    assert (office_world.service.store.count("audit"), office_world.service.store.count("assessments")) == before


def test_changes_on_both_sides_become_a_conflict(sites: tuple[World, AssessmentService], tmp_path: Path) -> None:
    """Test that the same draft changed on two machines is recorded as a conflict, never overwritten."""
    office_world, laptop = sites
    office = office_world.service
    aid = complete_barthel(office_world)  # a draft at the office, sent to the laptop
    uid = office.assessment(aid).uid
    import_bundle(laptop, laptop.store.user_by_name("a1"), _bundle(office, "a1", tmp_path / "b1.zip"))  # type: ignore[arg-type]
    local = laptop.store.assessment_by_uid(uid)
    assert local is not None
    laptop.save_answer(laptop.store.user_by_name("a1"), local.id, "BI.1", 0)  # type: ignore[arg-type]
    office.save_answer(office_world.a1, aid, "BI.1", 5)
    summary = import_bundle(office, office_world.sup1, _bundle(laptop, "a1", tmp_path / "b2.zip"))
    assert summary.conflicts == [uid]
    assert office.assessment(aid).answers["BI.1"] == 5  # ours kept
    assert [c["assessment_uid"] for c in office.store.open_conflicts()] == [uid]


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_tampered_or_truncated_bundle_is_rejected_and_changes_nothing(
    sites: tuple[World, AssessmentService], tmp_path: Path, damage: str, english
) -> None:
    """Test that a changed or cut bundle is refused with the reason and the database stays as it was."""
    office_world, laptop = sites
    a1 = laptop.store.user_by_name("a1")
    laptop_world = World(laptop, office_world.clock, office_world.admin, a1, office_world.a2, office_world.a3,  # type: ignore[arg-type]
                         office_world.sup1, office_world.sup2, office_world.subject)
    complete_barthel(laptop_world)
    bundle = _bundle(laptop, "a1", tmp_path / "b.zip")
    if damage == "flip":  # by someone holding the agency's transport key: only the signature can tell
        with bundle_seal.opened(laptop, bundle, 1 << 30) as inner:
            files = read_package(inner)
        data = bytearray(files["records.json"])
        data[len(data) // 2] ^= 0x01
        files["records.json"] = bytes(data)
        with zipfile.ZipFile(tmp_path / "flipped.zip", "w") as zf:
            for name, content in files.items():
                zf.writestr(name, content)
        bundle_seal.seal(laptop, tmp_path / "flipped.zip", bundle)
    else:
        bundle.write_bytes(bundle.read_bytes()[:-200])
    before = office_world.service.store.count("assessments"), office_world.service.store.count("audit")
    with pytest.raises(AppError, match="records.json: content does not match|damaged or not for this agency"):
        import_bundle(office_world.service, office_world.sup1, bundle)
    assert (office_world.service.store.count("assessments"), office_world.service.store.count("audit")) == before


def test_foreign_bundle_is_rejected(sites: tuple[World, AssessmentService], tmp_path: Path, english: None) -> None:
    """Test that a bundle signed under another agency's root is refused."""
    office_world, _laptop = sites
    other = AssessmentService(tmp_path / "other.db", clock=office_world.clock)
    admin, _changes = other.create_first_admin("admin", "管理员", "admin-password")
    other.add_user(admin, "a1", "评估员", "assessor", "a1-password")
    other.init_root(admin, "别的机构", "root-passphrase")
    other.issue_certificate(admin, "a1", "root-passphrase", "a1-password")
    bundle = _bundle(other, "a1", tmp_path / "foreign.zip")
    with pytest.raises(AppError, match="not for this agency"):
        import_bundle(office_world.service, office_world.sup1, bundle)
    with bundle_seal.opened(other, bundle, 1 << 30) as inner:  # were it not encrypted: the root does not trust it
        with pytest.raises(AppError, match="not trusted"):
            import_bundle(office_world.service, office_world.sup1, inner)
    other.close()


@pytest.mark.parametrize("take_theirs", [False, True])
def test_conflict_is_resolved_by_a_supervisor(sites: tuple[World, AssessmentService], tmp_path: Path,
                                              take_theirs: bool, english: None) -> None:
    """Test that a supervisor closes a conflict by keeping ours or taking the incoming version."""
    from ltc_assess.bundles import resolve_conflict

    office_world, laptop = sites
    office = office_world.service
    aid = complete_barthel(office_world)
    uid = office.assessment(aid).uid
    import_bundle(laptop, laptop.store.user_by_name("a1"), _bundle(office, "a1", tmp_path / "b1.zip"))  # type: ignore[arg-type]
    local = laptop.store.assessment_by_uid(uid)
    laptop.save_answer(laptop.store.user_by_name("a1"), local.id, "BI.1", 0)  # type: ignore[arg-type,union-attr]
    office.save_answer(office_world.a1, aid, "BI.1", 5)
    import_bundle(office, office_world.sup1, _bundle(laptop, "a1", tmp_path / "b2.zip"))
    conflict = office.store.open_conflicts()[0]
    with pytest.raises(AppError, match="role Supervisor"):
        resolve_conflict(office, office_world.a1, conflict["id"], take_theirs)
    resolve_conflict(office, office_world.sup1, conflict["id"], take_theirs)
    assert office.store.open_conflicts() == []
    assert office.assessment(aid).answers["BI.1"] == (0 if take_theirs else 5)
    assert office.check() == []


def test_only_assessors_and_supervisors_move_bundles(sites: tuple[World, AssessmentService], tmp_path: Path, english: None) -> None:
    """Test that an admin (no clinical actions) can neither export nor import bundles."""
    office_world, _laptop = sites
    with pytest.raises(AppError, match="role Assessor or Supervisor"):
        export_bundle(office_world.service, office_world.admin, "admin-password", tmp_path / "x.zip")
    bundle = _bundle(office_world.service, "a1", tmp_path / "b.zip")
    with pytest.raises(AppError, match="role Assessor or Supervisor"):
        import_bundle(office_world.service, office_world.admin, bundle)
