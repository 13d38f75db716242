"""Queries: reading assessments — lists, work queues, a person's history, what a supervisor sees, allowed actions."""

from __future__ import annotations

from typing import Any

from ltc_assess.conclusions import city_policy
from ltc_assess.plausibility import changed_items, improvement_warning
from ltc_assess.policies import Policy
from ltc_assess.service.base import Manager
from ltc_assess.service.types import ReviewView
from ltc_assess.storage import audit
from ltc_assess.storage import tasks as task_store
from ltc_assess.storage.records import Assessment, Comment, User
from ltc_assess.workflow import REVIEW_ACTIONS, Action, Role, Status, allowed_actions


class Queries(Manager):
    """Reads (no audit: the CLI's reads of personal data go through ``ltc_assess.access``, which logs them)."""

    def assessment(self, aid: int) -> Assessment:
        return self.store.assessment(aid)

    def assessment_by_uid(self, uid: str) -> Assessment | None:
        """The record with this uid (the same on every installation), None when not here."""
        return self.store.assessment_by_uid(uid)

    def open_conflicts(self) -> list[dict[str, Any]]:
        """Imported records that clashed with local changes and wait for a decision."""
        return self.store.open_conflicts()

    def audit_events(self, aid: int) -> list[dict[str, Any]]:
        """The assessment's audit events, oldest first (its status history is read from them)."""
        return audit.entity_history(self.service.db, "assessment", aid)

    def signed_report_roles(self, aid: int) -> tuple[str, ...]:
        """Who signed the stored report revisions, in revision order."""
        return tuple(r["signer_role"] for r in self.store.reports(aid))

    def tasks(self, username: str | None = None) -> list[dict[str, Any]]:
        """Visit tasks as of the last sync (``username``'s, or all)."""
        return task_store.tasks(self.service.db, username)

    def unsent_task_links(self) -> list[tuple[str, str]]:
        """(task, assessment) links made here that the server has not heard of yet."""
        return task_store.unsent_links(self.service.db)

    def city_policy(self) -> Policy | None:
        """The city policy this installation works under, None when no city was chosen."""
        return city_policy(self.store)

    def comments(self, aid: int) -> list[Comment]:
        return self.store.comments(aid)

    def signatures(self, aid: int) -> dict[str, bytes]:
        return self.store.signatures(aid)

    def signed_roles(self, aid: int) -> set[str]:
        return self.store.signed_roles(aid)

    def list_assessments(self, status: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        if status is not None:
            Status(status)  # a clear error for an unknown status
        return self.store.list_assessments(status=status, **filters)

    def count_assessments(self) -> int:
        """How many assessment records (every version) the database holds."""
        return self.store.count("assessments")

    def my_work(self, actor: User, status: str | None = None) -> list[dict[str, Any]]:
        """Every assessment the assessor took part in (drafts, returned, submitted, approved…), or one status."""
        return self.list_assessments(status=status, assessor_id=actor.id)

    def review_queue(
        self,
        actor: User,
        status: str = Status.SUBMITTED.value,
        date_from: str | None = None,
        date_to: str | None = None,
        level: int | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Assessments for supervisors (default: submitted ones awaiting review), never those the supervisor
        took part in; filters: status, assessor_id, district, form_id, assessment date range, proposed level."""
        self.service.active_actor(actor, Role.SUPERVISOR)
        rows = self.store.list_assessments(status=Status(status).value, **filters)
        return [
            r
            for r in rows
            if actor.id not in (r["assessor1_id"], r["assessor2_id"])
            and (date_from is None or r["assessment_date"] >= date_from)
            and (date_to is None or r["assessment_date"] <= date_to)
            and (level is None or r["proposed_level"] == level)
        ]

    def review_view(self, aid: int) -> ReviewView:
        """The record with the person's previous approved assessment on the same form and plausibility warnings:
        consistency warnings of the form, and a level two or more steps better within six months."""
        record = self.store.assessment(aid)
        earlier = [
            r
            for r in self.history(record.subject_id)
            if r["id"] != aid
            and r["status"] == Status.APPROVED
            and r["form_id"] == record.form_id
            and r["assessment_date"] <= record.assessment_date
        ]
        previous = self.store.assessment(earlier[-1]["id"]) if earlier else None
        warnings = [w["text"] for w in (record.score or {}).get("warnings", [])]
        changed: tuple[str, ...] = ()
        if previous is not None:
            changed = changed_items(record.answers, previous.answers)
            warning = improvement_warning(
                previous.level, record.level, previous.assessment_date, record.assessment_date
            )
            warnings += [warning] if warning else []
        return ReviewView(record, previous, changed, tuple(warnings))

    def history(self, subject_id: int) -> list[dict[str, Any]]:
        """Every assessment of a person, oldest first by assessment date (for trends and the previous-assessment
        view; a record entered late must not plot after a newer one)."""
        return sorted(self.store.list_assessments(subject_id=subject_id), key=lambda r: (r["assessment_date"], r["id"]))

    def actions_for(self, actor: User, aid: int) -> frozenset[Action]:
        """What ``actor`` may do to this record now — what the UI shows as buttons."""
        record = self.store.assessment(aid)
        allowed = set(allowed_actions(record.status, actor.role))
        if actor.role == Role.SUPERVISOR and record.took_part(actor.id):
            allowed -= REVIEW_ACTIONS
        if actor.role == Role.ASSESSOR and not record.took_part(actor.id):
            allowed.clear()
        return frozenset(allowed)
