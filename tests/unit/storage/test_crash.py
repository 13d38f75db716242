"""Crash safety: a child process saving answers is killed with SIGKILL at random moments; every answer it
acknowledged (the moment the UI would show "saved") must be in the database afterwards."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from world import id_number

from ltc_assess.schema.registry import get_form
from ltc_assess.service import AssessmentService, NewAssessment

REPO = Path(__file__).resolve().parents[3]
TRIALS = 50
CHILD = r"""
import sys
from ltc_assess.service import AssessmentService
from ltc_assess.schema.registry import get_form
service = AssessmentService(sys.argv[1])
actor = service.login("a1", "a1-password")
aid = int(sys.argv[2])
form = get_form("gbt42195-2022")
items = form.scored_items
print("ready", flush=True)
n = 0
while True:
    item = items[n % len(items)]
    values = [c.value for c in form.items[item].choices]
    value = values[(n // len(items)) % len(values)]
    service.save_answer(actor, aid, item, value)
    print(n, flush=True)  # acknowledged: the transaction has committed
    n += 1
"""


def state_after(count: int) -> dict[str, int]:
    """The answers after the first ``count`` writes of the child's deterministic sequence."""
    form = get_form("gbt42195-2022")
    items = form.scored_items
    state: dict[str, int] = {}
    for n in range(count):
        item = items[n % len(items)]
        values = [c.value for c in form.items[item].choices]  # type: ignore[union-attr]
        state[item] = values[(n // len(items)) % len(values)]  # type: ignore[assignment]
    return state


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_acknowledged_answers_survive_sigkill(tmp_path: Path) -> None:
    """Test that over 50 random SIGKILLs no acknowledged answer is ever lost and the database stays sound."""
    db = tmp_path / "crash.db"
    service = AssessmentService(db)
    admin, _changes = service.create_first_admin("admin", "管理员", "admin-password")
    a1, _changes = service.add_user(admin, "a1", "评估员", "assessor", "a1-password")
    subject, _ = service.register_subject(a1, name="王秀英", sex="female", id_number=id_number())
    key = service.database_key()
    service.close()
    rng = random.Random(42)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    acknowledged_total = 0
    for trial in range(TRIALS):
        service = AssessmentService(db, key=key)
        record, _ = service.start_assessment(a1, NewAssessment(subject_id=subject.id, form="gbt42195-2022"))
        prefilled = dict(record.answers)
        service.close()
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(record.id)], stdout=subprocess.PIPE,
                                 text=True, env=env)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        acked = [line for line in child.stdout.read().split("\n") if line.strip()]
        child.wait()
        count = int(acked[-1]) + 1 if acked else 0
        acknowledged_total += count
        service = AssessmentService(db, key=key)
        stored = {k: v for k, v in service.assessment(record.id).answers.items() if k not in prefilled}
        assert stored in (state_after(count), state_after(count + 1)), f"trial {trial}: lost acknowledged answers"
        assert service.check() == [], f"trial {trial}"
        service.close()
    assert acknowledged_total > TRIALS  # the kills really landed mid-stream, not before the first save
