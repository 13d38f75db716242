"""One unit of work for every mutation: actor re-checked, one transaction with its audit events, its Changes."""

from __future__ import annotations

import pytest
from world import World, id_number

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.storage.work import Changes
from ltc_assess.workflow import Role


def _audit_rows(world: World) -> int:
    return len(world.service.audit_csv().strip().splitlines())


def test_changes_merge_ids_once_and_flags_from_either() -> None:
    """Test that merged Changes keep each id once, in order, and every flag set in either."""
    merged = Changes(assessment_ids=(3, 1), list_changed=True).merged(Changes(assessment_ids=(1, 7), users_changed=True))
    assert merged == Changes(assessment_ids=(3, 1, 7), list_changed=True, users_changed=True)


def test_a_failing_unit_leaves_neither_the_change_nor_its_audit_event(world: World) -> None:
    """Test that an error inside the block rolls back its writes and its audit events together."""
    s = world.service
    before = _audit_rows(world)
    with pytest.raises(RuntimeError), s.unit_of_work(world.admin, Role.ADMIN) as work:
        work.store.set_setting("agency_code", "X-1")
        work.audit("agency.set", "agency", "settings", new={"agency_code": "X-1"})
        raise RuntimeError("boom")
    assert s.agency()[1] is None
    assert _audit_rows(world) == before
    with s.unit_of_work(world.admin, Role.ADMIN) as work:
        work.store.set_setting("agency_code", "X-1")
        work.audit("agency.set", "agency", "settings", new={"agency_code": "X-1"})
    assert s.agency()[1] == "X-1"
    last = s.audit_csv().strip().splitlines()[-1]
    assert "agency.set" in last and f",{world.admin.id}," in last


def test_the_actor_is_reloaded_and_checked_before_anything_runs(world: World, english: None) -> None:
    """Test that a disabled account or a wrong role is refused even with a stale, once-valid User object."""
    s = world.service
    with pytest.raises(AppError) as caught, s.unit_of_work(world.a1, Role.ADMIN):
        pytest.fail("an assessor ran an admin unit")
    assert caught.value.code == ErrorCode.PERMISSION
    s.set_disabled(world.admin, "a2")
    with pytest.raises(AppError) as caught, s.unit_of_work(world.a2):
        pytest.fail("a disabled account ran a unit")
    assert "disabled" in caught.value.message


def test_account_changes_note_users_changed_and_nested_units_add_to_the_outer(world: World) -> None:
    """Test that an account change reports users_changed (never set before) to the unit around it."""
    s = world.service
    with s.unit_of_work(world.admin, Role.ADMIN) as work:
        assert work.changes == Changes()
        s.set_role(world.admin, "a3", "supervisor")
        assert work.changes == Changes(users_changed=True)


def test_a_registered_person_is_in_the_changes(world: World) -> None:
    """Test that register_subject returns the new person's id and a changed list."""
    subject, changes = world.service.register_subject(
        world.a1, name="李四", sex="male", id_number=id_number("11010519500101123")
    )
    assert changes == Changes(subject_ids=(subject.id,), list_changed=True)
