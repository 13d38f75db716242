"""Role × action matrix through the service: every action, every role, in the state where it applies."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from world import PNG, World, complete_barthel

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.service import NewAssessment
from ltc_assess.storage.records import User
from ltc_assess.workflow import TRANSITIONS, Action, Role, Status, allowed_actions

ROLES = ("assessor", "supervisor", "admin")


def _actor(world: World, role: str) -> User:
    """A user of ``role`` who took no part in the assessment (a2 is assessor 2, so use a1 for assessors)."""
    return {"assessor": world.a1, "supervisor": world.sup1, "admin": world.admin}[role]


def _submitted(world: World) -> int:
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    return aid


def _approved(world: World) -> int:
    aid = _submitted(world)
    world.service.approve(world.sup2, aid)
    return aid


# action -> (state set-up, the call)
CASES: dict[str, tuple[Callable[[World], int], Callable[[World, User, int], object]]] = {
    "start": (lambda w: 0, lambda w, u, _: w.service.start_assessment(u, NewAssessment(subject_id=w.subject.id, form="barthel"))),
    "edit": (complete_barthel, lambda w, u, aid: w.service.save_answer(u, aid, "BI.1", 5)),
    "sign": (complete_barthel, lambda w, u, aid: w.service.save_signature(u, aid, "informant", PNG)),
    "submit": (complete_barthel, lambda w, u, aid: w.service.submit(u, aid)),
    "return": (_submitted, lambda w, u, aid: w.service.return_for_correction(u, aid, "请核对")),
    "decide_level": (_submitted, lambda w, u, aid: w.service.decide_level(u, aid, 2, "理由")),
    "approve": (_submitted, lambda w, u, aid: w.service.approve(u, aid)),
    "amend": (_approved, lambda w, u, aid: w.service.amend(u, aid, "更正")),
    "register_subject": (lambda w: 0, lambda w, u, _: w.service.register_subject(
        u, name="李四", sex="male", id_number="11010519500101002" + __import__("ltc_assess.idnumber").idnumber.check_digit("11010519500101002"))),
    "add_user": (lambda w: 0, lambda w, u, _: w.service.add_user(u, "newbie", "新人", "assessor", "newbie-password")),
}
ALLOWED = {
    "start": {"assessor"}, "edit": {"assessor"}, "sign": {"assessor"}, "submit": {"assessor"},
    "return": {"supervisor"}, "decide_level": {"supervisor"}, "approve": {"supervisor"}, "amend": {"supervisor"},
    "register_subject": {"assessor", "supervisor"}, "add_user": {"admin"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(CASES))
def test_role_action_matrix(world: World, action: str, role: str) -> None:
    """Test that each action succeeds for exactly the roles allowed and is refused (PERMISSION) otherwise."""
    setup, call = CASES[action]
    aid = setup(world)
    actor = _actor(world, role)
    if role in ALLOWED[action]:
        call(world, actor, aid)
    else:
        with pytest.raises(AppError) as info:
            call(world, actor, aid)
        assert info.value.code in (ErrorCode.PERMISSION, ErrorCode.TRANSITION), str(info.value)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("role", list(Role))
def test_allowed_actions_match_the_table(status: Status, role: Role) -> None:
    """Test that allowed_actions is exactly the transition table read for one status and role."""
    expected = {a for (s, a), (_, roles) in TRANSITIONS.items() if s == status and role in roles}
    assert allowed_actions(status, role) == expected


def test_wrong_state_is_a_transition_error(world: World) -> None:
    """Test that approving a draft is refused as a workflow error, and changes nothing."""
    aid = complete_barthel(world)
    with pytest.raises(AppError) as info:
        world.service.approve(world.sup1, aid)
    assert info.value.code == ErrorCode.TRANSITION
    assert world.service.assessment(aid).status == Status.DRAFT


def test_actions_for_hides_review_from_participants(world: World) -> None:
    """Test that the buttons offered respect separation of duties and ownership."""
    aid = _submitted(world)
    assert world.service.actions_for(world.sup1, aid) == {Action.RETURN, Action.DECIDE_LEVEL, Action.APPROVE}
    world.service.db.execute("UPDATE assessments SET assessor2_id = ? WHERE id = ?", [world.sup1.id, aid])
    assert world.service.actions_for(world.sup1, aid) == set()
    draft = complete_barthel(world)
    assert world.service.actions_for(world.a3, draft) == set()
    assert world.service.actions_for(world.a1, draft) == {Action.EDIT, Action.SUBMIT}


def test_disabled_user_cannot_act(world: World, english: None) -> None:
    """Test that disabling an account stops it at once, even with a session object in hand."""
    world.service.set_disabled(world.admin, "a1")
    with pytest.raises(AppError, match="disabled"):
        world.service.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
