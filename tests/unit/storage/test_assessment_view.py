"""My work lists every status; the read-only view gathers answers, signatures, comments and status history."""

from __future__ import annotations

import pytest
from world import World, complete_barthel

from ltc_assess.assessment_view import assessment_view
from ltc_assess.errors import AppError
from ltc_assess.workflow import Status


def test_my_work_lists_every_status_and_filters(world: World) -> None:
    """Test that submitted and approved work stays in my work (for both assessors), filterable by status, and not in
    a third assessor's."""
    s = world.service
    submitted = complete_barthel(world)
    s.submit(world.a1, submitted)
    approved = complete_barthel(world)
    s.submit(world.a1, approved)
    s.approve(world.sup1, approved)
    draft = complete_barthel(world)
    assert {r["id"] for r in s.my_work(world.a1)} == {submitted, approved, draft}
    assert {r["id"] for r in s.my_work(world.a2)} == {submitted, approved, draft}  # the second assessor too
    assert [r["id"] for r in s.my_work(world.a1, status=Status.APPROVED.value)] == [approved]
    assert [r["id"] for r in s.my_work(world.a1, status=Status.SUBMITTED.value)] == [submitted]
    assert s.my_work(world.a3) == []
    with pytest.raises(ValueError, match="not a valid Status"):
        s.my_work(world.a1, status="nonsense")


def test_read_only_view_of_an_approved_assessment(world: World) -> None:
    """Test that the view holds the answers, both handwritten signatures, the return comment and the history in
    order (start, submit, return, submit, decide, approve), and refuses an assessor who did not take part."""
    s = world.service
    aid = complete_barthel(world)
    s.submit(world.a1, aid)
    s.return_for_correction(world.sup1, aid, "请核对洗澡", item_id="BI.2")
    s.submit(world.a1, aid)
    s.decide_level(world.sup1, aid, 2, "夜间照护需求")
    s.approve(world.sup1, aid)
    view = assessment_view(s, world.a1, aid)
    assert view.record.status == Status.APPROVED and view.record.answers["BI.1"] == 10
    assert set(view.signatures) == {"assessor1", "assessor2", "informant"}
    assert [c.body for c in view.comments] == ["请核对洗澡"]
    assert [e.what for e in view.history] == ["开始评估", "提交", "退回修改", "提交", "核定等级", "批准"]
    assert view.history[2].who == world.sup1.display_name and "请核对洗澡" in view.history[2].note
    assert "等级 2" in view.history[4].note and "夜间照护需求" in view.history[4].note
    assert assessment_view(s, world.sup2, aid).record.id == aid
    with pytest.raises(AppError, match="属于其他评估员"):
        assessment_view(s, world.a3, aid)
    with pytest.raises(AppError):
        assessment_view(s, world.admin, aid)
