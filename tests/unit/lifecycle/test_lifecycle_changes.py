"""Every after-the-decision mutation says what it changed (``Changes``: the app refreshes by it, and only by it),
on a real database file: the assessment whose records it wrote and the views concerned, nothing more."""

from __future__ import annotations

import pytest
from world import PNG, World

from ltc_assess.errors import AppError
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import Changes

from .helpers import City, make_city, nhsa_ready


def after(*aids: int, **flags: bool) -> Changes:
    """What a mutation of what follows the decision reports: its assessments, the 结论后续 pages, ``flags``."""
    return Changes(assessment_ids=aids, after_decision_changed=True, **flags)


@pytest.fixture
def city(world: World) -> City:
    return make_city(world)


def test_choosing_the_city_reports_the_policy_only(world: World) -> None:
    """Test that use_city returns the policy with exactly policy_changed, and that the city is the one in force."""
    policy, changes = Lifecycle(world.service).use_city(world.admin, "chengdu")
    assert changes == Changes(policy_changed=True)
    assert policy.city == "chengdu" and world.service.queries.city_policy() == policy


def test_the_visit_advice_and_confirmations_report_their_assessment(city: City) -> None:
    """Test check-in, check-out, the identity/guardian checks, the reviewed advice and an expert's confirmation:
    each reports its assessment and the 结论后续 pages, no list move, no due list; each wrote what it says."""
    w, lc = city.world, city.lc
    aid = nhsa_ready(city, w.a1, city.e1)
    other = nhsa_ready(city, w.a1, city.e1)  # a second draft no mutation below touches
    assert lc.check_in(w.a1, aid, "现场") == after(aid)
    assert lc.check_out(w.a1, aid, "现场") == after(aid)
    assert lc.check_in(city.e1, aid, "现场") == after(aid)
    assert lc.check_out(city.e1, aid, "现场") == after(aid)
    checks = lc.record_checks(w.a1, aid, identity_checked=True, guardian_present=True, guardian_name="王小明")
    assert checks == after(aid)
    assert lc.save_care_advice(w.a1, aid, ["每日协助翻身"]) == after(aid)
    people, saved = lc.visit(aid)
    assert [p["check_out_at"] is not None for p in people] == [True, True] and saved is not None
    assert lc.care_advice(aid) == ["每日协助翻身"] and lc.visit(other) == ([], None)
    w.service.submit(w.a1, aid)
    level = w.service.assessment(aid).proposed_level
    assert level is not None
    assert lc.confirm(city.e1, aid, level) == after(aid)
    assert [c["level"] for c in lc.confirmations(aid)] == [level]


def _confirmed(city: City) -> int:
    """An assessment visited by two, submitted and confirmed by two experts: ready for approval."""
    w = city.world
    aid = nhsa_ready(city, w.a1, city.e1)
    for person in (w.a1, city.e1):
        city.lc.check_in(person, aid, "现场")
        city.lc.check_out(person, aid, "现场")
    city.lc.record_checks(w.a1, aid, identity_checked=True, guardian_present=True, guardian_name="王小明")
    w.service.submit(w.a1, aid)
    level = w.service.assessment(aid).proposed_level
    assert level is not None
    for expert in (city.e1, city.e2):
        city.lc.confirm(expert, aid, level)
    return aid


def _approved(city: City) -> int:
    aid = _confirmed(city)
    city.world.service.approve(city.world.sup1, aid)
    return aid


def test_an_approval_under_a_city_reports_its_conclusion(city: City) -> None:
    """Test that the service's approval, recording the conclusion under the city policy, reports it (the due list
    and the 结论后续 pages) besides the status move; without a city it reports the move only."""
    w = city.world
    aid = _confirmed(city)
    changes = w.service.approve(w.sup1, aid)
    assert changes == after(aid, list_changed=True, status_changed=True, due_changed=True)
    assert city.lc.conclusion(aid)["level"] == w.service.assessment(aid).proposed_level


def test_without_a_city_an_approval_reports_no_conclusion(world: World) -> None:
    """Test that an approval with no city policy (no conclusion recorded) reports the status move only."""
    from world import complete_barthel

    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    assert world.service.approve(world.sup1, aid) == Changes(
        assessment_ids=(aid,), list_changed=True, status_changed=True
    )


def test_publicity_reports_what_it_published_and_a_second_time_nothing(city: City) -> None:
    """Test that publishing reports the conclusions whose 公示 started (the 结论后续 pages, not the due list), and
    publishing the same range again, which keeps the first dates, reports nothing."""
    w = city.world
    aid = _approved(city)
    rows, changes = city.lc.publish(w.sup2, "2026-11-01", "2026-11-30")
    assert changes == after(aid) and rows[0]["published_at"] is not None
    again, changes = city.lc.publish(w.sup2, "2026-11-01", "2026-11-30")
    assert changes == Changes() and again == rows
    (data, count), changes = city.lc.publicity_file(w.sup2, "2026-11-01", "2026-11-30", "xlsx")
    assert changes == Changes() and count == 1 and data[:2] == b"PK"


def test_a_status_review_reports_the_due_list_only(city: City) -> None:
    """Test that flagging a 状态评估 reports its assessment and the due list (no 结论后续 page shows the flag)."""
    w = city.world
    aid = _approved(city)
    assert city.lc.flag_status_review(w.sup2, aid, "2026-11-20", "术后康复") == Changes(
        assessment_ids=(aid,), due_changed=True
    )
    assert [e.kind for e in city.lc.due(30)].count("status_review") == 1


def test_an_objection_and_its_review_report_both_assessments(city: City) -> None:
    """Test that lodging an objection reports the original; taking its 复评 reports the new draft (a list row,
    as any start) and the original, whose objection is now taken; a refused objection reports nothing."""
    w = city.world
    aid = _approved(city)
    oid, changes = city.lc.lodge_objection(w.sup2, aid, "王小明（儿子）", "认为等级偏高")
    assert changes == after(aid)
    with pytest.raises(AppError, match="已有待处理的异议"):
        city.lc.lodge_objection(w.sup2, aid, "王小明", "再次")
    review, changes = city.lc.start_review(w.a3, oid, city.a4.id)
    assert changes == Changes(assessment_ids=(review.id, aid), list_changed=True, after_decision_changed=True)
    assert city.lc.records.objection(oid)["review_id"] == review.id


def test_the_care_setting_reports_its_assessment(city: City) -> None:
    """Test that the signed choice of care setting reports its assessment and the 结论后续 pages."""
    w = city.world
    aid = _approved(city)
    assert city.lc.choose_care_setting(w.sup2, aid, "home", "王小明", PNG, "儿子") == after(aid)
    choice = city.lc.records.care_choice(aid)
    assert choice is not None and choice["setting"] == "home"


def test_an_unsigned_letter_changes_nothing(city: City) -> None:
    """Test that rendering the unsigned 告知书 (no keys, or no signer) reports no change."""
    aid = _approved(city)
    (pdf, signed), changes = city.lc.letter_pdf(aid)
    assert pdf.startswith(b"%PDF") and not signed and changes == Changes()
