"""The two-person on-site protocol, expert confirmation, validity, 公示, objection and 复评 on a real database."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from world import World

from ltc_assess.errors import AppError

from .helpers import City, decide, fill, make_city, nhsa_ready, visit


@pytest.fixture
def city(world: World) -> City:
    return make_city(world)


def test_submission_with_one_person_on_site_is_refused(city: City) -> None:
    """Test that one person on site, and no expert, are refused at submission with the policy's numbers."""
    w = city.world
    aid = nhsa_ready(city, w.a1, city.e1)
    with pytest.raises(AppError, match="现场评估须至少 2 人签到并签退（现有 0 人）"):
        w.service.submit(w.a1, aid)
    visit(city, aid, w.a1)
    with pytest.raises(AppError) as caught:
        w.service.submit(w.a1, aid)
    assert "现有 1 人" in str(caught.value) and "至少 1 名评估专家（现有 0 名）" in str(caught.value)
    assert w.service.assessment(aid).status == "draft"


def test_two_assessors_without_an_expert_are_refused(city: City) -> None:
    """Test that two people on site are not enough when neither is an expert."""
    w = city.world
    aid = nhsa_ready(city, w.a1, w.a3)
    visit(city, aid, w.a1, w.a3)
    with pytest.raises(AppError, match="不符合成都现场评估规定：现场评估须至少 1 名评估专家（现有 0 名）"):
        w.service.submit(w.a1, aid)


def test_checked_in_but_not_out_does_not_count_and_guardian_must_be_present(city: City) -> None:
    """Test that a person who never checked out is not counted, and an absent guardian is refused."""
    w = city.world
    aid = nhsa_ready(city, w.a1, city.e1)
    city.lc.check_in(w.a1, aid, "现场")
    city.lc.check_out(w.a1, aid, "现场")
    city.lc.check_in(city.e1, aid, "现场")
    city.lc.record_checks(w.a1, aid, identity_checked=True, guardian_present=False)
    with pytest.raises(AppError) as caught:
        w.service.submit(w.a1, aid)
    assert "现有 1 人" in str(caught.value) and "须有监护人或代理人在场" in str(caught.value)


def test_unqualified_user_cannot_check_in(city: City) -> None:
    """Test that a user without a qualification cannot be recorded on site."""
    w = city.world
    aid = nhsa_ready(city, w.a1, city.e1)
    city.lc.set_qualification(w.admin, "a1", None)
    with pytest.raises(AppError, match="没有评估员或评估专家资格"):
        city.lc.check_in(w.a1, aid, "现场")


def test_wrong_form_for_the_city_is_refused(city: City) -> None:
    """Test that a city assessing with NHSA 2021 does not accept a Barthel assessment."""
    from world import complete_barthel

    w = city.world
    aid = complete_barthel(w)
    visit(city, aid, w.a1, city.e1)
    with pytest.raises(AppError, match="成都使用评估表 nhsa-ltc-2021@1，本评估使用 barthel@1"):
        w.service.submit(w.a1, aid)


def test_approval_needs_two_expert_confirmations_and_records_the_conclusion(city: City) -> None:
    """Test that approval waits for two experts, then records policy version and validity from the policy."""
    w = city.world
    aid = nhsa_ready(city, w.a1, city.e1)
    visit(city, aid, w.a1, city.e1)
    w.service.submit(w.a1, aid)
    level = w.service.assessment(aid).proposed_level
    city.lc.confirm(city.e1, aid, level)
    with pytest.raises(AppError, match="至少 2 名评估专家确认（确认等级 5 的现有 1 名）"):
        w.service.approve(w.sup1, aid)
    with pytest.raises(AppError, match="不是评估专家"):
        city.lc.confirm(w.a1, aid, level)
    city.lc.confirm(city.e2, aid, level)
    w.service.approve(w.sup1, aid)
    row = city.lc.conclusion(aid)
    assert (row["policy_ref"], row["level"], row["eligible"]) == ("chengdu@1", 5, 1)
    assert (row["valid_from"], row["valid_until"], row["reapply_after"]) == ("2026-11-01", "2028-10-31", "2027-05-01")
    assert row["policy_sha256"] and row["published_at"] is None


def test_conclusion_cannot_be_rewritten_in_the_database(city: City) -> None:
    """Test that an insider editing the file cannot move a conclusion's validity (trigger)."""
    w = city.world
    aid = nhsa_ready(city, w.a1, city.e1)
    visit(city, aid, w.a1, city.e1)
    w.service.submit(w.a1, aid)
    decide(city, aid, w.sup1, city.e1, city.e2)
    with pytest.raises(Exception, match="cannot change"):
        w.service.db.execute("UPDATE conclusions SET valid_until = '2099-01-01' WHERE assessment_id = ?", [aid])


def _approved(city: City, adl: int = 0) -> int:
    w = city.world
    aid = nhsa_ready(city, w.a1, city.e1, adl=adl)
    visit(city, aid, w.a1, city.e1)
    w.service.submit(w.a1, aid)
    decide(city, aid, w.sup1, city.e1, city.e2)
    return aid


def test_publicity_masks_and_records_the_notice_period(city: City) -> None:
    """Test that publishing masks name and ID and starts the 公示 and objection periods once."""
    w = city.world
    aid = _approved(city)
    w.clock.now += dt.timedelta(days=2)
    rows, _changes = city.lc.publish(w.sup2, "2026-11-01", "2026-11-30")
    assert [(r["assessment_id"], r["name"], r["id_number"]) for r in rows] == [(aid, "王*英", "1101**********" +
                                                                                 w.subject.id_number[-4:])]
    assert (rows[0]["published_at"], rows[0]["publicity_until"], rows[0]["objection_until"]) == (
        "2026-11-03", "2026-11-09", "2026-11-16")
    w.clock.now += dt.timedelta(days=3)
    assert city.lc.publish(w.sup2, "2026-11-01", "2026-11-30")[0][0]["published_at"] == "2026-11-03"


def test_objection_on_the_last_day_is_accepted(city: City) -> None:
    """Test that the deadline day itself still counts, and a second open objection is refused."""
    w = city.world
    aid = _approved(city)
    city.lc.publish(w.sup2, "2026-11-01", "2026-11-30")  # published 2026-11-01: 公示 to 11-07, objection to 11-14
    w.clock.now = dt.datetime(2026, 11, 14, 23, 0, tzinfo=dt.UTC)
    city.lc.lodge_objection(w.sup2, aid, "王小明（儿子）", "认为等级偏低")
    with pytest.raises(AppError, match="已有待处理的异议"):
        city.lc.lodge_objection(w.sup2, aid, "王小明", "再次")


def test_late_objection_names_the_deadline(city: City) -> None:
    """Test that an objection the day after the window is refused, naming the deadline."""
    w = city.world
    aid = _approved(city)
    city.lc.publish(w.sup2, "2026-11-01", "2026-11-30")  # published 2026-11-01: 公示 to 11-07, objection to 11-14
    w.clock.now = dt.datetime(2026, 11, 15, 8, 0, tzinfo=dt.UTC)
    with pytest.raises(AppError, match="异议期已于 2026-11-14 届满，不能再提出异议"):
        city.lc.lodge_objection(w.sup2, aid, "王小明", "认为等级偏低")


def test_review_is_refused_to_people_of_the_original_and_supersedes_it(city: City) -> None:
    """Test the 复评: the original's assessors, on-site people and approver are refused; a different level
    supersedes the original, both are kept and shown together."""
    w = city.world
    s = w.service
    aid = _approved(city)
    oid, _changes = city.lc.lodge_objection(w.sup2, aid, "王小明（儿子）", "认为等级偏高")
    with pytest.raises(AppError, match="a1 名 参与了原评估"):
        city.lc.start_review(w.a1, oid, city.a4.id)
    with pytest.raises(AppError, match="专家一 参与了原评估"):
        city.lc.start_review(w.a3, oid, city.e1.id)
    review, _changes = city.lc.start_review(w.a3, oid, city.a4.id)
    assert (review.reason, review.answers["INFO.3"]) == ("review", "review")
    fill(city, w.a3, review.id, adl=10, rest=4)
    with pytest.raises(AppError, match="专家一 参与了原评估"):
        city.lc.check_in(city.e1, review.id, "现场")
    city.lc.set_qualification(w.admin, "a4", "expert")
    visit(city, review.id, w.a3, s.store.user_by_name("a4"))
    s.submit(w.a3, review.id)
    new_level = s.assessment(review.id).proposed_level
    city.lc.confirm(city.a4, review.id, new_level)  # the expert on the 复评's visit
    city.lc.confirm(w.sup2, review.id, new_level)
    with pytest.raises(AppError, match="复评须由未参与原评估"):
        s.approve(w.sup1, review.id)
    s.approve(w.sup2, review.id)
    assert new_level != 5
    assert s.assessment(aid).status == "superseded"
    assert city.lc.conclusion(aid)["superseded_by"] == review.id
    shown = city.lc.reviews(aid)
    assert shown[0]["review_id"] == review.id and shown[0]["review_conclusion"]["level"] == new_level
    with pytest.raises(AppError, match=f"已被复评 {review.id} 取代，请出具复评结论的告知书"):
        city.lc.letter_pdf(aid)  # a letter states the conclusion in force, never the replaced one
    assert city.lc.letter_data(review.id).history[0].startswith(f"本结论为评估 {aid}")


def test_review_with_the_same_level_confirms_the_original(city: City) -> None:
    """Test that a 复评 reaching the same level confirms the original, which stays approved."""
    w = city.world
    s = w.service
    aid = _approved(city)
    oid, _changes = city.lc.lodge_objection(w.sup2, aid, "王小明", "认为等级偏高")
    review, _changes = city.lc.start_review(w.a3, oid, city.a4.id)
    fill(city, w.a3, review.id)
    city.lc.set_qualification(w.admin, "a4", "expert")
    visit(city, review.id, w.a3, s.store.user_by_name("a4"))
    s.submit(w.a3, review.id)
    decide(city, review.id, w.sup2, city.a4, w.sup2)  # the expert on the 复评's visit and an expert supervisor
    assert s.assessment(aid).status == "approved"
    assert city.lc.conclusion(aid)["confirmed_by"] == review.id
    # the person is listed once in the due list, under the newer conclusion (the 复评's)
    assert [(e.kind, e.assessment_id) for e in city.lc.due(30)] == [("no_reapply", review.id)]


def test_due_list_shows_expiry_status_review_and_reapply_wait(city: City) -> None:
    """Test the due list: a 状态评估 flag, the re-application wait, and expiry near the end of validity."""
    w = city.world
    aid = _approved(city)
    city.lc.flag_status_review(w.sup2, aid, "2026-11-20", "术后康复，预计明显改善")
    kinds = {(e.kind, e.date) for e in city.lc.due(30)}
    assert kinds == {("status_review", "2026-11-20"), ("no_reapply", "2027-05-01")}
    w.clock.now = dt.datetime(2028, 10, 10, 9, 0, tzinfo=dt.UTC)
    assert [(e.kind, e.date) for e in city.lc.due(30) if e.kind == "expiring"] == [("expiring", "2028-10-31")]


def test_without_a_city_nothing_changes(world: World) -> None:
    """Test that an installation that chose no city keeps the old flow (no protocol, no conclusion row)."""
    from world import complete_barthel

    from ltc_assess.lifecycle import Lifecycle

    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    world.service.approve(world.sup1, aid)
    lc = Lifecycle(world.service)
    for use_case in (lambda: lc.conclusion(aid), lambda: lc.due(30), lambda: lc.letter_pdf(aid),
                     lambda: lc.lodge_objection(world.sup2, aid, "王小明", "异议"),
                     lambda: lc.publicity_file(world.sup2, "2026-01-01", "2026-12-31", "pdf")):
        with pytest.raises(AppError, match=r"尚未选择本机构所在城市（ltc-assess policies use CITY）"):
            use_case()  # not "nothing due" or "no conclusion": the message says how to choose a city
    lc.use_city(world.admin, "chengdu")
    with pytest.raises(AppError, match="没有按城市政策记录的结论（未批准，或在选择城市之前批准）"):
        lc.conclusion(aid)  # approved before the city was chosen


def test_someone_on_site_cannot_approve(city: City) -> None:
    """Test that a supervisor who checked in on the visit cannot approve the same assessment."""
    w = city.world
    aid = nhsa_ready(city, w.a1, city.e1)
    visit(city, aid, w.a1, city.e1, w.sup1)
    w.service.submit(w.a1, aid)
    for e in (city.e1, city.e2):
        city.lc.confirm(e, aid, 5)
    with pytest.raises(AppError, match="现场评估人员不能审核批准同一评估"):
        w.service.approve(w.sup1, aid)
    w.service.approve(w.sup2, aid)


def test_a_policy_file_edited_after_the_decision_is_refused() -> None:
    """Test that a conclusion whose policy file no longer has the recorded sha256 is refused, not reinterpreted."""
    from ltc_assess.conclusions import decided_policy

    with pytest.raises(AppError, match="政策文件 chengdu@1 在结论作出后被改动"):
        decided_policy({"policy_ref": "chengdu@1", "policy_sha256": "0" * 64})


def test_a_correction_keeps_the_visit_and_gets_its_own_conclusion(city: City) -> None:
    """Test that an approved conclusion corrected (更正) needs no second visit, keeps the reviewed advice, needs its
    own expert confirmations, and its approval records a new conclusion while the old record is superseded."""
    w = city.world
    s = w.service
    aid = _approved(city)
    advice = city.lc.care_advice(aid)
    correction, _changes = s.amend(w.sup2, aid, "ADL.1 录入错误")
    s.save_answer(w.a1, correction.id, "ADL.1", 5)
    assert city.lc.care_advice(correction.id) == advice
    s.submit(w.a1, correction.id)
    level = s.assessment(correction.id).proposed_level
    with pytest.raises(AppError, match="至少 2 名评估专家确认"):
        s.approve(w.sup1, correction.id)
    for e in (city.e1, city.e2):
        city.lc.confirm(e, correction.id, level)
    s.approve(w.sup1, correction.id)
    assert s.assessment(aid).status == "superseded"
    assert city.lc.conclusion(correction.id)["policy_ref"] == "chengdu@1"
    assert [e.assessment_id for e in city.lc.due(365)] == [correction.id]
    report = PdfReader(io.BytesIO(s.render_report(correction.id)))
    assert "照护建议" in "".join(page.extract_text() for page in report.pages)


def test_reapplying_before_the_interval_is_refused_with_the_earliest_date(city: City) -> None:
    """Test that a new application within the policy's minimum interval (成都: 6 months) is refused naming the
    earliest date, that 即时评估 (a change of condition) may come at once, and that the earliest date is accepted."""
    from ltc_assess.service import NewAssessment

    w = city.world
    aid = _approved(city)
    assert city.lc.conclusion(aid)["reapply_after"] == "2027-05-01"
    for reason in ("first", "routine", "other"):
        with pytest.raises(AppError, match=f"距评估 {aid} 的结论.*最早 2027-05-01 可重新申请") as caught:
            w.service.start_assessment(w.a1, NewAssessment(subject_id=w.subject.id, form="nhsa-ltc-2021", reason=reason))
        assert caught.value.where == "reason"
    changed, _ = w.service.start_assessment(
        w.a1, NewAssessment(subject_id=w.subject.id, form="nhsa-ltc-2021", reason="immediate")
    )
    assert changed.reason == "immediate"
    w.clock.now = dt.datetime(2027, 4, 30, 9, 0, tzinfo=dt.UTC)
    with pytest.raises(AppError, match="最早 2027-05-01 可"):
        w.service.start_assessment(w.a1, NewAssessment(subject_id=w.subject.id, form="nhsa-ltc-2021", reason="first"))
    w.clock.now = dt.datetime(2027, 5, 1, 9, 0, tzinfo=dt.UTC)
    again, _ = w.service.start_assessment(
        w.a1, NewAssessment(subject_id=w.subject.id, form="nhsa-ltc-2021", reason="first")
    )
    assert again.status == "draft"


def test_an_expert_confirms_only_assessments_they_are_entitled_to(city: City) -> None:
    """Test the insider attack: an assessor-expert who took no part calls the core for another assessment and is
    refused by name, lists none of it; the on-site expert and the expert supervisor see and confirm it."""
    w = city.world
    s = w.service
    aid = nhsa_ready(city, w.a1, city.e1)
    visit(city, aid, w.a1, city.e1)
    s.submit(w.a1, aid)
    s.add_user(w.admin, "e3", "专家三", "assessor", "e3-password")
    city.lc.set_qualification(w.admin, "e3", "expert")
    outsider = s.store.user_by_name("e3")
    assert outsider is not None
    level = s.assessment(aid).proposed_level
    assert level is not None
    with pytest.raises(AppError, match=f"专家三 未参与评估 {aid}（不是其评估员，也未在现场签到），不能确认其结论"):
        city.lc.confirm(outsider, aid, level)
    with pytest.raises(AppError, match="专家三 未参与评估"):  # refused before the level or status is looked at
        city.lc.confirm(outsider, aid, level + 1)
    assert city.lc.confirmations(aid) == [] and city.lc.confirmable(outsider) == []
    assert city.lc.confirmable(w.a1) == []  # an 评估员 on site, not an expert
    assert [r["id"] for r in city.lc.confirmable(city.e1)] == [aid]  # on site, the second assessor
    assert [r["id"] for r in city.lc.confirmable(city.e2)] == [aid]  # an expert supervisor
    city.lc.confirm(city.e1, aid, level)
    city.lc.confirm(city.e2, aid, level)
    s.approve(w.sup1, aid)
    assert city.lc.confirmable(city.e1) == []  # approved: nothing left to confirm


def test_an_expert_checked_in_on_site_may_confirm(city: City) -> None:
    """Test that an assessor-expert who is not an assessor of the record but checked in on its visit may confirm."""
    w = city.world
    s = w.service
    s.add_user(w.admin, "e3", "专家三", "assessor", "e3-password")
    city.lc.set_qualification(w.admin, "e3", "expert")
    third = s.store.user_by_name("e3")
    assert third is not None
    aid = nhsa_ready(city, w.a1, city.e1)
    visit(city, aid, w.a1, city.e1, third)
    s.submit(w.a1, aid)
    assert [r["id"] for r in city.lc.confirmable(third)] == [aid]
    city.lc.confirm(third, aid, 5)
    assert [c["display_name"] for c in city.lc.confirmations(aid)] == ["专家三"]


def test_open_objections_are_shown_only_to_who_may_take_the_review(city: City) -> None:
    """Test that an objection (a name and a reason) is listed only to qualified assessors outside the original,
    and that the core refuses a 复评 by, or with, an unqualified assessor."""
    w = city.world
    aid = _approved(city)
    oid, _changes = city.lc.lodge_objection(w.sup2, aid, "王小明（儿子）", "认为等级偏高")
    assert [o["id"] for o in city.lc.open_objections(w.a3)] == [oid]
    assert city.lc.open_objections(w.a1) == [] and city.lc.open_objections(city.e1) == []  # the original's people
    assert city.lc.open_objections(w.a2) == []  # no qualification
    with pytest.raises(AppError, match="a2 名 没有评估员或评估专家资格"):
        city.lc.start_review(w.a2, oid, city.a4.id)
    with pytest.raises(AppError, match="a2 名 没有评估员或评估专家资格"):
        city.lc.start_review(w.a3, oid, w.a2.id)
    city.lc.start_review(w.a3, oid, city.a4.id)
    assert city.lc.open_objections(w.a3) == []  # taken
