"""A 复评 that changes the level travels: desktop A approves a decision, an objection leads to a 复评 approved on A
at another level, and a bundle from A must leave laptop B with the original ``superseded`` and the 复评 approved;
and an insider's bundle that marks someone else's approved decision superseded (no approved 复评 behind it) is
refused and writes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from world import PNG, World, with_signing_keys

from ltc_assess import bundle_seal
from ltc_assess.bundle_records import record_hash
from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle
from ltc_assess.exchange.package import read_package, write_package
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.keys import KeyPair
from ltc_assess.storage.records import User
from ltc_assess.workflow import Status

USERS = ("a1", "a2", "a3", "a4", "sup1", "sup2", "sup3")
PLACE = "成都市武侯区示例路1号"


def _filled(s: AssessmentService, assessor: User, aid: int, adl: int) -> None:
    for i in range(1, 11):
        s.save_answer(assessor, aid, f"ADL.{i}", adl if i not in (3, 10) else 0)
    for item in ("COG.1", "COG.2", "COG.3", "COG.4", "SEN.1", "SEN.2", "SEN.3"):
        s.save_answer(assessor, aid, item, adl // 3)
    for role in ("assessor1", "assessor2", "informant"):
        s.save_signature(assessor, aid, role, PNG)


def _user(s: AssessmentService, name: str) -> User:
    user = s.store.user_by_name(name)
    assert user is not None
    return user


def _office(
    world: World, tmp_path: Path, with_review: bool = True
) -> tuple[AssessmentService, AssessmentService, int, int | None]:
    """Office A: a1/a2 submit, sup1 and sup2 confirm, sup1 approves under 成都's policy (the original); a laptop
    copy B is made; then an objection, a 复评 by a3 and a4 (people of neither the original nor its decision),
    confirmed by a4 and sup3 and approved by sup3 at another level. Returns A, B, the original and the 复评
    (None: stop after the laptop copy)."""
    s = world.service
    s.add_user(world.admin, "a4", "评估员四", "assessor", "a4-password")
    s.add_user(world.admin, "sup3", "审核员三", "supervisor", "sup3-password")
    with_signing_keys(world, USERS)
    lc = Lifecycle(s)
    for name in ("a4", "sup1", "sup2", "sup3"):
        lc.set_qualification(world.admin, name, "expert")
    lc.set_qualification(world.admin, "a3", "assessor")
    original, _ = s.start_assessment(
        world.a1, NewAssessment(subject_id=world.subject.id, form="nhsa-ltc-2021", assessor2_id=world.a2.id)
    )
    _filled(s, world.a1, original.id, adl=0)
    s.submit(world.a1, original.id, {"assessor1": "a1-password", "assessor2": "a2-password"})
    lc.use_city(world.admin, "chengdu")  # after the submission: the on-site protocol of the original is not ours
    level = s.assessment(original.id).proposed_level
    assert level is not None
    lc.confirm(world.sup1, original.id, level)
    lc.confirm(world.sup2, original.id, level)
    s.approve(world.sup1, original.id, "sup1-password")
    laptop = AssessmentService(s.backup(tmp_path / "laptop.db"), clock=world.clock, key=s.database_key())
    if not with_review:
        return s, laptop, original.id, None
    world.clock.now += dt.timedelta(hours=1)
    oid, _changes = lc.lodge_objection(world.sup2, original.id, "王小明（儿子）", "认为等级偏低")
    a3, a4, sup3 = _user(s, "a3"), _user(s, "a4"), _user(s, "sup3")
    review, _changes = lc.start_review(a3, oid, a4.id)
    _filled(s, a3, review.id, adl=10)
    for person in (a3, a4):
        lc.check_in(person, review.id, PLACE)
        lc.check_out(person, review.id, PLACE)
    lc.record_checks(a3, review.id, identity_checked=True, guardian_present=True, guardian_name="王小明")
    lc.save_care_advice(a3, review.id, lc.care_advice(review.id))
    s.submit(a3, review.id, {"assessor1": "a3-password", "assessor2": "a4-password"})
    new_level = s.assessment(review.id).proposed_level
    assert new_level is not None and new_level != level
    lc.confirm(a4, review.id, new_level)
    lc.confirm(sup3, review.id, new_level)
    s.approve(sup3, review.id, "sup3-password")
    assert s.assessment(original.id).status == Status.SUPERSEDED  # on A
    return s, laptop, original.id, review.id


def test_a_review_that_changes_the_level_supersedes_the_original_on_the_laptop(world: World, tmp_path: Path) -> None:
    """Test that after a bundle from A, B holds the original superseded, the 复评 approved, and the link from
    the objection to the 复评 and from the original's conclusion to the 复评."""
    s, laptop, original_id, review_id = _office(world, tmp_path)
    assert review_id is not None
    original, review = s.assessment(original_id), s.assessment(review_id)
    out = tmp_path / "office.zip"
    export_bundle(s, _user(s, "sup3"), "sup3-password", out, everything=True)
    import_bundle(laptop, _user(laptop, "sup2"), out)
    old, new = laptop.queries.assessment_by_uid(original.uid), laptop.queries.assessment_by_uid(review.uid)
    assert old is not None and old.status == Status.SUPERSEDED
    assert new is not None and new.status == Status.APPROVED
    lc = Lifecycle(laptop)
    assert lc.conclusion(old.id)["superseded_by"] == new.id
    assert [o["review_id"] for o in lc.reviews(old.id)] == [new.id]
    assert lc.conclusion(new.id)["level"] == new.decided_level != lc.conclusion(old.id)["level"]


@pytest.mark.parametrize("insider", ["a1", "sup2"])
def test_a_bundle_cannot_mark_an_approved_decision_superseded_on_its_own_word(
    world: World, tmp_path: Path, insider: str
) -> None:
    """Test that an insider's genuine bundle, edited to say the approved original is superseded (no approved 复评
    behind it) and re-signed with the insider's own valid key, is refused and leaves the laptop's original
    approved: the original's assessor (a1) and a supervisor who did not decide it (sup2) alike."""
    s, laptop, original_id, _none = _office(world, tmp_path, with_review=False)
    uid = s.assessment(original_id).uid
    genuine = tmp_path / "genuine.zip"
    export_bundle(s, _user(s, insider), f"{insider}-password", genuine, everything=True)
    forged = _resigned(laptop, genuine, tmp_path / "forged.zip", insider, lambda rec: _superseded(rec, uid))
    with pytest.raises(BundleRefused) as refused:
        import_bundle(laptop, _user(laptop, "sup1"), forged)
    assert any(uid in line and "已被取代" in line for line in refused.value.refusals)
    assert laptop.queries.assessment_by_uid(uid).status == Status.APPROVED  # type: ignore[union-attr]


def _superseded(rec: dict, uid: str) -> None:  # type: ignore[type-arg]
    if rec["uid"] == uid:
        rec["fields"]["status"] = Status.SUPERSEDED.value


def _resigned(laptop: AssessmentService, genuine: Path, out: Path, insider: str, change) -> Path:  # type: ignore[no-untyped-def]
    """The genuine bundle with each record changed by ``change`` (content hash recomputed), re-signed with the
    insider's own valid key."""
    with bundle_seal.opened(laptop, genuine, 1 << 30) as inner:
        files = read_package(inner)
    records = json.loads(files["records.json"])
    for rec in records:
        change(rec)
        rec["content_hash"] = record_hash(rec, {})
    meta = {k: v for k, v in json.loads(files["manifest.json"]).items() if k != "files"}
    stored = laptop.store.user_key(_user(laptop, insider).id)
    assert stored is not None
    write_package(
        out,
        {k: v for k, v in files.items() if k not in ("manifest.json", "manifest.json.p7s", "records.json")}
        | {"records.json": json.dumps(records).encode()},
        meta | {"bundle_id": hashlib.md5(out.name.encode()).hexdigest()},
        lambda data: sign_detached(data, KeyPair(*stored), f"{insider}-password", [laptop.root_certificate()]),
    )
    return out


def test_a_review_bundle_without_the_signed_reference_does_not_supersede(world: World, tmp_path: Path) -> None:
    """Test that the genuine 复评 bundle, edited by a supervisor (sup2) so that the 复评 no longer names the original
    its approval was signed for, is refused: the 复评's signed approval no longer matches, so nothing vouches for
    the original being superseded and the laptop keeps it approved."""
    s, laptop, original_id, review_id = _office(world, tmp_path)
    assert review_id is not None
    uid = s.assessment(original_id).uid
    genuine = tmp_path / "office.zip"
    export_bundle(s, _user(s, "sup3"), "sup3-password", genuine, everything=True)

    def unlinked(rec: dict) -> None:  # type: ignore[type-arg]
        if rec.get("reviews") is not None:
            rec["reviews"] = None

    forged = _resigned(laptop, genuine, tmp_path / "forged.zip", "sup2", unlinked)
    with pytest.raises(BundleRefused) as refused:
        import_bundle(laptop, _user(laptop, "sup1"), forged)
    assert any(uid in line and "已被取代" in line for line in refused.value.refusals)
    assert laptop.queries.assessment_by_uid(uid).status == Status.APPROVED  # type: ignore[union-attr]
