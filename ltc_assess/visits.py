"""Starting an assessment from a dispatched visit task: the person is registered (with the office's uid, so
every installation means the same person), the assessment opened with the task's form and second assessor,
and the task linked to it (the link reaches the server on the next sync)."""

from __future__ import annotations

from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.storage import tasks as task_store
from ltc_assess.storage.records import Assessment, User


def my_tasks(service: AssessmentService, actor: User) -> list[dict[str, Any]]:
    return service.queries.tasks(service.active_actor(actor).username)


def start_from_task(service: AssessmentService, actor: User, task_uid: str) -> Assessment:
    actor = service.active_actor(actor)
    task = next((t for t in service.queries.tasks(actor.username) if t["uid"] == task_uid), None)
    if task is None:
        raise AppError(
            ErrorCode.NOT_FOUND,
            _("{username} 没有任务 {task_uid}（请先同步）").format(task_uid=task_uid, username=actor.username),
        )
    if task["assessment_uid"]:
        found = service.queries.assessment_by_uid(task["assessment_uid"])
        if found is not None:
            return found
    person = task["person"]
    subject = service.subjects.find(person["uid"], person["id_number"])
    if subject is None:
        fields = {k: person.get(k) for k in ("uid", "name", "sex", "birth_date", "id_number", "phone", "district")}
        subject, _created = service.register_subject(actor, **fields, address=person.get("address"))
    partner = task["assessor_b"] if task["assessor_a"] == actor.username else task["assessor_a"]
    second = service.accounts.user_by_name(partner) if partner else None
    record, _started = service.start_assessment(
        actor, NewAssessment(subject_id=subject.id, form=task["form_ref"], assessor2_id=second.id if second else None)
    )
    with service.unit_of_work(actor) as work:
        task_store.link(work.store.db, task_uid, record.uid)
    return record
