"""A group answered with one key ("none of these"): every answer in one transaction, each audited, all or none."""

from __future__ import annotations

import pytest
from world import World

from ltc_assess.errors import AnswerError
from ltc_assess.service import NewAssessment
from ltc_assess.storage import audit

GROUP = {f"A.2.14.{n}": 0 for n in range(1, 6)}


def test_a_group_is_saved_at_once_and_each_answer_audited(world: World) -> None:
    """Test that save_answers stores the five risk events, records where to resume, returns the score that counts
    them answered, and appends one answer.save event per item."""
    s = world.service
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="gbt42195-2022"))
    before = len(audit.events(s.db, "assessment", ("answer.save",)))
    result = s.save_answers(world.a1, record.id, GROUP, current_item="A.3.1")
    stored = s.assessment(record.id)
    assert {k: stored.answers[k] for k in GROUP} == GROUP and stored.current_item == "A.3.1"
    assert result.score.blank_rule_inputs is not None
    assert not set(GROUP) & set(result.score.blank_rule_inputs.items)
    assert len(audit.events(s.db, "assessment", ("answer.save",))) == before + len(GROUP)


def test_one_bad_answer_stores_none_of_the_group(world: World) -> None:
    """Test that a refused value anywhere in the group leaves every item of it unanswered."""
    s = world.service
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="gbt42195-2022"))
    with pytest.raises(AnswerError, match=r"A\.2\.14\.5"):
        s.save_answers(world.a1, record.id, {**GROUP, "A.2.14.5": 99})
    assert not set(GROUP) & set(s.assessment(record.id).answers)
