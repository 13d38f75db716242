"""Imports replay, never copy: forged approvals, decided levels, submissions and foreign changes made by SQL on a
laptop and carried in a bundle signed with the assessor's own key are refused, and the office stays unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import World, complete_barthel, raw_sql, snapshot, with_signing_keys

from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle, resolve_conflict
from ltc_assess.errors import AppError
from ltc_assess.service import AssessmentService
from ltc_assess.signing.crl import build_crl
from ltc_assess.signing.keys import create_root
from ltc_assess.workflow import Status

# slow: signed submissions and approvals travel between two databases; english: the refusals are matched in the
# English the replay code chose before issue 12 said them through _()
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("english")]

SIGNERS = {"assessor1": "a1-password", "assessor2": "a2-password"}



class Sites:
    """The office (the world's database, with keys) and a laptop provisioned as a copy of it."""

    def __init__(self, world: World, tmp_path: Path) -> None:
        self.world, self.tmp = world, tmp_path
        self.office = world.service
        self.laptop = AssessmentService(
            self.office.backup(tmp_path / "laptop.db"), clock=world.clock, key=self.office.database_key()
        )
        self.laptop_world = World(self.laptop, world.clock, world.admin, world.a1, world.a2, world.a3,
                                  world.sup1, world.sup2, world.subject)
        self.n = 0

    def bundle(self, service: AssessmentService, user: str) -> Path:
        self.n += 1
        out = self.tmp / f"b{self.n}.zip"
        export_bundle(service, service.store.user_by_name(user), f"{user}-password", out)  # type: ignore[arg-type]
        return out

    def sql(self, service: AssessmentService, statement: str, *args: object) -> None:
        """An edit behind the application's back (the attacker's SQLite shell)."""
        con = raw_sql(service)
        con.execute(statement, args)
        con.close()


def dump(service: AssessmentService) -> list[object]:
    con = raw_sql(service)
    try:
        return snapshot(con)
    finally:
        con.close()


@pytest.fixture
def sites(world: World, tmp_path: Path) -> Iterator[Sites]:
    with_signing_keys(world, ("a1", "a2", "a3", "sup1", "sup2"))
    s = Sites(world, tmp_path)
    yield s
    s.laptop.close()


def _submitted_on_laptop_and_at_office(s: Sites) -> tuple[int, str]:
    aid = complete_barthel(s.laptop_world, values=0)  # everything dependent: the highest band, 3
    s.laptop.submit(s.world.a1, aid, SIGNERS)
    import_bundle(s.office, s.world.sup1, s.bundle(s.laptop, "a1"))
    uid = s.laptop.assessment(aid).uid
    assert s.office.store.assessment_by_uid(uid).status == Status.SUBMITTED  # type: ignore[union-attr]
    return aid, uid


def _refused(s: Sites, bundle: Path, reason: str) -> BundleRefused:
    before = dump(s.office)
    with pytest.raises(BundleRefused) as caught:
        import_bundle(s.office, s.world.sup1, bundle)
    assert any(reason in line for line in caught.value.refusals), caught.value.refusals
    assert dump(s.office) == before  # nothing written, not even the bundle log or an audit row
    return caught.value


def test_forged_approval_by_sql_on_the_laptop_is_refused(sites: Sites) -> None:
    """Test the issue's attack: SQL marks a submitted assessment approved by sup1 at level 0 (3 proposed)."""
    aid, uid = _submitted_on_laptop_and_at_office(sites)
    assert sites.laptop.assessment(aid).proposed_level == 3
    sites.sql(sites.laptop, "UPDATE assessments SET status='approved', decided_level=0, decided_by=?, approved_by=?, "
              "approved_at='2026-11-01T09:00:00+00:00' WHERE id=?", sites.world.sup1.id, sites.world.sup1.id, aid)
    refused = _refused(sites, sites.bundle(sites.laptop, "a1"), "no signed approval record")
    assert refused.refusals[0].startswith(f"assessment {uid}: ")
    assert sites.office.store.assessment_by_uid(uid).status == Status.SUBMITTED  # type: ignore[union-attr]


def test_forged_approval_of_a_record_the_office_never_saw_is_refused(sites: Sites) -> None:
    """Test that a new record arriving as approved, without the supervisor's signatures, is refused."""
    aid = complete_barthel(sites.laptop_world)
    sites.laptop.submit(sites.world.a1, aid, SIGNERS)
    sites.sql(sites.laptop, "UPDATE assessments SET status='approved', approved_by=?, approved_at='2026-11-01' "
              "WHERE id=?", sites.world.sup1.id, aid)
    _refused(sites, sites.bundle(sites.laptop, "a1"), "no signed approval record")


def test_approval_evidence_of_another_assessment_is_refused(sites: Sites) -> None:
    """Test that a genuine approval (report and signed record) copied onto another assessment is refused."""
    s = sites
    genuine = complete_barthel(s.world)
    s.office.submit(s.world.a1, genuine, SIGNERS)
    s.office.approve(s.world.sup1, genuine, "sup1-password")
    import_bundle(s.laptop, s.world.a1, s.bundle(s.office, "sup1"))
    aid, _uid = _submitted_on_laptop_and_at_office(s)
    local_genuine = s.laptop.store.assessment_by_uid(s.office.assessment(genuine).uid)
    assert local_genuine is not None
    s.sql(s.laptop, "DROP TRIGGER reports_append_only_update")
    s.sql(s.laptop, "DROP TRIGGER signed_records_no_update")
    s.sql(s.laptop, "INSERT INTO reports SELECT ?, 99, signer_role, pdf, sha256, created_at FROM reports "
          "WHERE assessment_id=? AND signer_role='supervisor'", aid, local_genuine.id)
    s.sql(s.laptop, "INSERT INTO signed_records (assessment_id, kind, payload, signature, created_at) "
          "SELECT ?, kind, payload, signature, created_at FROM signed_records WHERE assessment_id=? "
          "AND kind='approval'", aid, local_genuine.id)
    s.sql(s.laptop, "UPDATE assessments SET status='approved', decided_level=proposed_level, decided_by=?, "
          "approved_by=?, approved_at=? WHERE id=?", s.world.sup1.id, s.world.sup1.id,
          s.office.assessment(genuine).approved_at, aid)
    _refused(s, s.bundle(s.laptop, "a1"), "of another assessment")


def test_forged_decided_level_is_refused(sites: Sites) -> None:
    """Test that a decided level set by SQL on a submitted record is refused."""
    aid, _uid = _submitted_on_laptop_and_at_office(sites)
    sites.sql(sites.laptop, "UPDATE assessments SET decided_level=0, decided_by=?, decision_reason='x' WHERE id=?",
              sites.world.sup1.id, aid)
    _refused(sites, sites.bundle(sites.laptop, "a1"), "decided level without the supervisor's signed approval")


def test_changed_level_of_an_approved_record_is_refused(sites: Sites) -> None:
    """Test that an approved record whose level was changed by SQL (trigger dropped) does not reach the office."""
    s = sites
    aid = complete_barthel(s.world)
    s.office.submit(s.world.a1, aid, SIGNERS)
    s.office.approve(s.world.sup1, aid, "sup1-password")
    import_bundle(s.laptop, s.world.a1, s.bundle(s.office, "sup1"))
    s.sql(s.laptop, "DROP TRIGGER assessments_approved_immutable")
    s.sql(s.laptop, "UPDATE assessments SET decided_level=0, status='submitted' WHERE uid=?", s.office.assessment(aid).uid)
    s.sql(s.laptop, "UPDATE assessments SET status='approved' WHERE uid=?", s.office.assessment(aid).uid)
    _refused(s, s.bundle(s.laptop, "a1"), "differs from what its signer signed in the approval record (decided_level)")


def test_forged_submission_is_refused(sites: Sites) -> None:
    """Test that a draft marked submitted by SQL (no assessor signatures) is refused."""
    aid = complete_barthel(sites.laptop_world)
    sites.sql(sites.laptop, "UPDATE assessments SET status='submitted', submitted_at='2026-11-01' WHERE id=?", aid)
    _refused(sites, sites.bundle(sites.laptop, "a1"), "no signed submission record")


def test_changed_answers_after_submission_are_refused(sites: Sites) -> None:
    """Test that answers changed by SQL after the assessors signed no longer match the signed submission."""
    aid, _uid = _submitted_on_laptop_and_at_office(sites)
    sites.sql(sites.laptop, "DROP TRIGGER answers_locked_update")
    sites.sql(sites.laptop, "UPDATE answers SET value_json='0' WHERE assessment_id=? AND item_id='BI.3'", aid)
    _refused(sites, sites.bundle(sites.laptop, "a1"), "(answers)")


def test_bundle_of_a_disabled_signer_is_refused(sites: Sites) -> None:
    """Test that a bundle signed by a user disabled at the office is refused before anything is read."""
    aid = complete_barthel(sites.laptop_world)
    del aid
    bundle = sites.bundle(sites.laptop, "a1")
    sites.office.set_disabled(sites.world.admin, "a1")
    before = dump(sites.office)
    with pytest.raises(Exception, match="the bundle signer a1 is disabled here"):
        import_bundle(sites.office, sites.world.sup1, bundle)
    assert dump(sites.office) == before


def test_bundle_signed_with_a_revoked_certificate_is_refused(sites: Sites) -> None:
    """Test that a bundle signed on a laptop with a key the office has since revoked (a password reset retires
    and revokes the old key; the user stays active) is refused, and nothing changes."""
    complete_barthel(sites.laptop_world)
    sites.office.reset_password(sites.world.admin, "a1", "a1-new-Password-7")
    bundle = sites.bundle(sites.laptop, "a1")  # the laptop has not heard of the reset: the old key signs
    before = dump(sites.office)
    with pytest.raises(Exception, match="the bundle signer's certificate: revoked on"):
        import_bundle(sites.office, sites.world.sup1, bundle)
    assert dump(sites.office) == before


def test_submission_signed_by_a_since_disabled_assessor_is_refused(sites: Sites) -> None:
    """Test that a submission whose second assessor is disabled here is refused even in another user's bundle."""
    aid = complete_barthel(sites.laptop_world)
    sites.laptop.submit(sites.world.a1, aid, SIGNERS)
    bundle = sites.bundle(sites.laptop, "a1")
    sites.office.set_disabled(sites.world.admin, "a2")
    _refused(sites, bundle, "Second assessor a2 is disabled here")


def test_assessor_may_not_carry_changes_to_others_records(sites: Sites) -> None:
    """Test that a3 (who took no part) cannot push an edit of a1's draft made by SQL on a3's laptop."""
    s = sites
    aid = complete_barthel(s.world)
    import_bundle(s.laptop, s.world.a3, s.bundle(s.office, "a1"))
    uid = s.office.assessment(aid).uid
    s.sql(s.laptop, "UPDATE answers SET value_json='0' WHERE item_id='BI.1' AND assessment_id="
          "(SELECT id FROM assessments WHERE uid=?)", uid)
    _refused(s, s.bundle(s.laptop, "a3"), "a3 took no part in it")


def test_promoted_assessor_cannot_approve_by_bundle(sites: Sites) -> None:
    """Test that roles come from the office's users table: a3 promoted to supervisor on the laptop by SQL, who
    approves there and exports, is refused (a3 is an assessor at the office)."""
    s = sites
    aid, _uid = _submitted_on_laptop_and_at_office(s)
    s.sql(s.laptop, "UPDATE users SET role='supervisor' WHERE username='a3'")
    s.laptop.approve(s.laptop.store.user_by_name("a3"), aid, "a3-password")  # type: ignore[arg-type]
    _refused(s, s.bundle(s.laptop, "a1"), "approver a3 is not a Supervisor here")


def test_return_needs_a_supervisors_bundle(sites: Sites) -> None:
    """Test that an assessor cannot un-submit a record at the office by SQL (status back to returned)."""
    aid, _uid = _submitted_on_laptop_and_at_office(sites)
    sites.sql(sites.laptop, "UPDATE assessments SET status='returned' WHERE id=?", aid)
    _refused(sites, sites.bundle(sites.laptop, "a1"), "not in a bundle of a supervisor")


def test_submitted_back_to_draft_is_no_transition(sites: Sites) -> None:
    """Test that a change the workflow has no path for is refused."""
    aid, _uid = _submitted_on_laptop_and_at_office(sites)
    sites.sql(sites.laptop, "UPDATE assessments SET status='draft' WHERE id=?", aid)
    _refused(sites, sites.bundle(sites.laptop, "a1"), "no way from submitted to draft")


def test_genuine_approval_travels_with_its_evidence(sites: Sites) -> None:
    """Test the legitimate path: approved at the office, the laptop accepts it and stores the signed records."""
    s = sites
    aid, uid = _submitted_on_laptop_and_at_office(s)
    at_office = s.office.store.assessment_by_uid(uid)
    s.office.decide_level(s.world.sup1, at_office.id, 3, "复核")  # type: ignore[union-attr]
    s.office.approve(s.world.sup1, at_office.id, "sup1-password")  # type: ignore[union-attr]
    summary = import_bundle(s.laptop, s.world.a1, s.bundle(s.office, "sup1"))
    assert summary.updated == [uid]
    record = s.laptop.assessment(aid)
    assert (record.status, record.decided_level) == (Status.APPROVED, 3)
    assert [r["kind"] for r in s.laptop.store.signed_records(aid)] == ["submission", "approval"]
    assert s.laptop.check() == [] and s.office.check() == []


def test_conflict_resolution_replays_the_incoming_record(sites: Sites) -> None:
    """Test that 'take theirs' on a conflict applies the same rules (a forged submission stays out)."""
    s = sites
    aid = complete_barthel(s.world)
    uid = s.office.assessment(aid).uid
    import_bundle(s.laptop, s.world.a1, s.bundle(s.office, "a1"))
    local = s.laptop.store.assessment_by_uid(uid)
    s.laptop.save_answer(s.world.a1, local.id, "BI.1", 0)  # type: ignore[union-attr]
    s.office.save_answer(s.world.a1, aid, "BI.1", 5)
    s.sql(s.laptop, "UPDATE assessments SET status='submitted' WHERE uid=?", uid)
    with pytest.raises(BundleRefused, match="refused"):
        import_bundle(s.office, s.world.sup1, s.bundle(s.laptop, "a1"))
    assert s.office.store.open_conflicts() == []
    with pytest.raises(Exception, match="no open conflict"):
        resolve_conflict(s.office, s.world.sup1, 1, True)


def test_bundles_carry_the_persons_uid(sites: Sites) -> None:
    """Test that the subject's uid survives the round trip (it was dropped, and import fell back to ID numbers)."""
    from ltc_assess import bundle_seal
    from ltc_assess.exchange.package import read_package

    subject = sites.office.subject(sites.world.subject.id)
    assert len(subject.uid) == 32
    complete_barthel(sites.laptop_world)
    bundle = sites.bundle(sites.laptop, "a1")
    with bundle_seal.opened(sites.office, bundle, 1 << 30) as inner:
        records = json.loads(read_package(inner)["records.json"])
    assert [r["subject"]["uid"] for r in records] == [subject.uid]


def test_forged_score_of_a_submitted_record_is_refused(sites: Sites) -> None:
    """Test that the stored score (shown in reports and insurer files) changed by SQL no longer matches the
    signed submission of a record new to the office; for a record the office holds, the score does not travel."""
    aid = complete_barthel(sites.laptop_world)
    sites.laptop.submit(sites.world.a1, aid, SIGNERS)
    uid = sites.laptop.assessment(aid).uid
    genuine = sites.laptop.store.assessment(aid).score
    forge = "UPDATE assessments SET score_json = json_set(score_json, '$.final_level.code', 0) WHERE id=?"
    sites.sql(sites.laptop, forge, aid)
    _refused(sites, sites.bundle(sites.laptop, "a1"), "submission record (score)")
    sites.sql(sites.laptop, "UPDATE assessments SET score_json = ? WHERE id=?", json.dumps(genuine), aid)
    export_bundle(sites.laptop, sites.world.a1, "a1-password", sites.tmp / "all.zip", everything=True)
    assert import_bundle(sites.office, sites.world.sup1, sites.tmp / "all.zip").added == [uid]
    sites.sql(sites.laptop, forge, aid)
    export_bundle(sites.laptop, sites.world.a1, "a1-password", sites.tmp / "again.zip", everything=True)
    assert import_bundle(sites.office, sites.world.sup1, sites.tmp / "again.zip").unchanged == [uid]
    assert sites.office.store.assessment_by_uid(uid).score == genuine  # type: ignore[union-attr]


def test_office_bundles_carry_the_crl_and_the_laptop_then_refuses_a_revoked_users_later_record(
    sites: Sites,
) -> None:
    """Test the CRL's way to the laptops: a2 is disabled at the office and the office publishes a CRL; a2's own
    laptop (a copy made before, which never hears of it) signs a new record into a bundle. Our laptop, before
    importing the office's bundle, knows nothing against a2's key; after it, it holds the office's CRL and its
    revocation and refuses a2's bundle, writing nothing; an older CRL arriving later does not replace it."""
    s = sites
    a2s_laptop = AssessmentService(s.office.backup(s.tmp / "a2-laptop.db"), clock=s.world.clock,
                                   key=s.office.database_key())
    try:
        w = s.world
        s.office.set_disabled(w.admin, "a2")
        office_crl, _changes = s.office.issue_crl(w.admin, "root-passphrase")
        a2_cert = s.office.store.user_key(w.a2.id)[0]  # type: ignore[index]
        complete_barthel(World(a2s_laptop, w.clock, w.admin, w.a2, w.a1, w.a3, w.sup1, w.sup2, w.subject))
        later = s.bundle(a2s_laptop, "a2")  # signed after the revocation, with the laptop's old CRL
        assert s.laptop.store.revoked_at(a2_cert) is None and s.laptop.pki.current_crl() != office_crl
        import_bundle(s.laptop, w.a1, s.bundle(s.office, "sup1"))
        assert s.laptop.pki.current_crl() == office_crl
        assert s.laptop.store.revoked_at(a2_cert) is not None
        before = dump(s.laptop)
        with pytest.raises(AppError, match="the bundle signer's certificate: revoked on"):
            import_bundle(s.laptop, w.a1, later)  # it carries the older CRL too: ignored
        assert dump(s.laptop) == before and s.laptop.pki.current_crl() == office_crl
    finally:
        a2s_laptop.close()


def test_a_bundle_with_a_crl_the_root_did_not_sign_is_refused(sites: Sites) -> None:
    """Test that a CRL in a bundle must be the agency root's: another root's CRL is a located error, not taken."""
    other = create_root("other agency", "x-passphrase", sites.world.clock())
    foreign = build_crl(other, "x-passphrase", [], number=99, now=sites.world.clock())
    with pytest.raises(AppError, match="not issued by this installation's root"):
        sites.laptop.pki.take_crl(None, foreign, "bundle.crl")
    assert sites.laptop.pki.current_crl() == sites.office.pki.current_crl()
