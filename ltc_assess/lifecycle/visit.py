"""The two-person on-site protocol: check-in/out, identity and guardian checks, expert confirmation."""

from __future__ import annotations

from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.lifecycle.base import LifecycleBase
from ltc_assess.service import Changes
from ltc_assess.storage.records import Assessment, User
from ltc_assess.workflow import Role, Status


class VisitCases(LifecycleBase):
    """The on-site visit and the experts' confirmation of the conclusion."""

    def _on_visit(self, actor: User, aid: int) -> tuple[User, Assessment]:
        actor = self.service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
        record = self.service.assessment(aid)
        if record.status not in (Status.DRAFT, Status.RETURNED):
            raise AppError(ErrorCode.TRANSITION, _("评估 {id} 已提交，现场记录不能再修改").format(id=aid))
        if actor.qualification is None:
            raise AppError(ErrorCode.PERMISSION, _("{name} 没有评估员或评估专家资格").format(name=actor.display_name))
        self._refuse_original_people(actor, record)
        return actor, record

    def _refuse_original_people(self, actor: User, record: Assessment) -> None:
        objection = self.records.objection_for_review(record.id)
        if objection is not None and actor.id in self.records.participants(
            self.service.assessment(objection["assessment_id"])
        ):
            raise AppError(
                ErrorCode.PERMISSION,
                _("{name} 参与了原评估 {id}，不能参与复评").format(
                    name=actor.display_name, id=objection["assessment_id"]
                ),
            )

    def check_in(self, actor: User, aid: int, place: str) -> Changes:
        """The acting person arrives on site (time from the clock, place as given)."""
        if not place.strip():
            raise AppError(ErrorCode.INVALID, _("须填写签到地点"), where="place")
        actor, _record = self._on_visit(actor, aid)
        with self.service.unit_of_work(actor) as work:
            work.lifecycle.check_in(aid, actor.id, self.service.now(), place.strip())
            work.audit("visit.check_in", "assessment", aid, new={"place": place.strip()})
            work.changed(aid, after_decision_changed=True)
        return work.changes

    def check_out(self, actor: User, aid: int, place: str) -> Changes:
        if not place.strip():
            raise AppError(ErrorCode.INVALID, _("须填写签退地点"), where="place")
        actor, _record = self._on_visit(actor, aid)
        with self.service.unit_of_work(actor) as work:
            work.lifecycle.check_out(aid, actor.id, self.service.now(), place.strip())
            work.audit("visit.check_out", "assessment", aid, new={"place": place.strip()})
            work.changed(aid, after_decision_changed=True)
        return work.changes

    def record_checks(
        self, actor: User, aid: int, identity_checked: bool, guardian_present: bool, guardian_name: str | None = None
    ) -> Changes:
        """The explicit answers: was the applicant's identity checked, was the guardian or an agent present."""
        actor, record = self._on_visit(actor, aid)
        if not record.took_part(actor.id):
            raise AppError(ErrorCode.PERMISSION, _("评估 {aid} 属于其他评估员").format(aid=aid))
        fields = {
            "identity_checked": int(identity_checked),
            "guardian_present": int(guardian_present),
            "guardian_name": (guardian_name or "").strip() or None,
            "recorded_by": actor.id,
            "recorded_at": self.service.now(),
        }
        with self.service.unit_of_work(actor) as work:
            work.lifecycle.put_visit_checks(aid, fields)
            work.audit("visit.checks", "assessment", aid, new=fields)
            work.changed(aid, after_decision_changed=True)
        return work.changes

    def visit(self, aid: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        return self.records.visit_people(aid), self.records.visit_checks(aid)

    # --- expert confirmation ----------------------------------------------------------------------

    def _confirm_refusal(self, actor: User, record: Assessment) -> str | None:
        """Why ``actor`` may not confirm ``record``'s conclusion, None when entitled.

        Entitled is an expert (评估专家) when the city policy asks for expert confirmations, and either a
        supervisor (who reviews every submitted assessment anyway) or an assessor who is one of the record's
        assessors or checked in on its visit. Another assessor-expert never sees the record, as everywhere else
        (an assessor reads only the records they took part in)."""
        if actor.qualification != "expert":
            return _("{name} 不是评估专家，不能确认结论").format(name=actor.display_name)
        policy = self.policy()
        if policy.onsite.expert_confirmations == 0:
            return _("{city}政策不要求专家确认结论").format(city=policy.name)
        if actor.role == Role.SUPERVISOR or record.took_part(actor.id):
            return None
        if actor.id in {p["user_id"] for p in self.records.visit_people(self.records.visited(record))}:
            return None
        return _("{name} 未参与评估 {id}（不是其评估员，也未在现场签到），不能确认其结论").format(
            name=actor.display_name, id=record.id
        )

    def confirm(self, actor: User, aid: int, level: int) -> Changes:
        """An expert entitled to it confirms the conclusion's level of a submitted assessment (before approval)."""
        actor = self.service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
        record = self.service.assessment(aid)
        refusal = self._confirm_refusal(actor, record)
        if refusal is not None:
            raise AppError(ErrorCode.PERMISSION, refusal)
        if record.status != Status.SUBMITTED:
            raise AppError(ErrorCode.TRANSITION, _("只有已提交的评估可由专家确认"))
        if self.service.form(record.form_ref).level_name(level) is None:
            raise AppError(
                ErrorCode.INVALID,
                _("{form} 中没有等级 {level}").format(level=level, form=record.form_ref),
                where="level",
            )
        self._refuse_original_people(actor, record)
        with self.service.unit_of_work(actor) as work:
            work.lifecycle.confirm(aid, actor.id, level, self.service.now())
            work.audit("conclusion.confirm", "assessment", aid, new={"level": level})
            work.changed(aid, after_decision_changed=True)
        return work.changes

    def confirmable(self, actor: User) -> list[dict[str, Any]]:
        """The submitted assessments ``actor`` may confirm (with names: only those, never the others)."""
        actor = self.service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
        if self.service.queries.city_policy() is None:
            return []
        rows = self.service.list_assessments(status=Status.SUBMITTED.value)
        return [r for r in rows if self._confirm_refusal(actor, self.service.assessment(r["id"])) is None]

    def confirmations(self, aid: int) -> list[dict[str, Any]]:
        return self.records.confirmations(aid)
