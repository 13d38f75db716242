"""The two-person on-site protocol: check-in/out, identity and guardian checks, expert confirmation."""

from __future__ import annotations

from typing import Any

from ltc_assess.conclusions import participants
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
        record = self._store.assessment(aid)
        if record.status not in (Status.DRAFT, Status.RETURNED):
            raise AppError(ErrorCode.TRANSITION, _("评估 {id} 已提交，现场记录不能再修改").format(id=aid))
        if actor.qualification is None:
            raise AppError(ErrorCode.PERMISSION, _("{name} 没有评估员或评估专家资格").format(name=actor.display_name))
        self._refuse_original_people(actor, record)
        return actor, record

    def _refuse_original_people(self, actor: User, record: Assessment) -> None:
        objection = self.lstore.objection_for_review(record.id)
        if objection is not None and actor.id in participants(
            self._store, self._store.assessment(objection["assessment_id"])
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
            self.lstore.check_in(aid, actor.id, self.service.now(), place.strip())
            work.audit("visit.check_in", "assessment", aid, new={"place": place.strip()})
        return Changes(assessment_ids=(aid,))

    def check_out(self, actor: User, aid: int, place: str) -> Changes:
        if not place.strip():
            raise AppError(ErrorCode.INVALID, _("须填写签退地点"), where="place")
        actor, _record = self._on_visit(actor, aid)
        with self.service.unit_of_work(actor) as work:
            self.lstore.check_out(aid, actor.id, self.service.now(), place.strip())
            work.audit("visit.check_out", "assessment", aid, new={"place": place.strip()})
        return Changes(assessment_ids=(aid,))

    def record_checks(
        self, actor: User, aid: int, identity_checked: bool, guardian_present: bool, guardian_name: str | None = None
    ) -> Changes:
        """The explicit answers: was the applicant's identity checked, was the guardian or an agent present."""
        actor, record = self._on_visit(actor, aid)
        if not record.took_part(actor.id):
            raise AppError(ErrorCode.PERMISSION, f"assessment {aid} belongs to other assessors")
        fields = {
            "identity_checked": int(identity_checked),
            "guardian_present": int(guardian_present),
            "guardian_name": (guardian_name or "").strip() or None,
            "recorded_by": actor.id,
            "recorded_at": self.service.now(),
        }
        with self.service.unit_of_work(actor) as work:
            self.lstore.put_visit_checks(aid, fields)
            work.audit("visit.checks", "assessment", aid, new=fields)
        return Changes(assessment_ids=(aid,))

    def visit(self, aid: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        return self.lstore.visit_people(aid), self.lstore.visit_checks(aid)

    # --- expert confirmation ----------------------------------------------------------------------

    def confirm(self, actor: User, aid: int, level: int) -> Changes:
        """An expert confirms the conclusion's level of a submitted assessment (before approval)."""
        actor = self.service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
        record = self._store.assessment(aid)
        if record.status != Status.SUBMITTED:
            raise AppError(ErrorCode.TRANSITION, _("只有已提交的评估可由专家确认"))
        if actor.qualification != "expert":
            raise AppError(ErrorCode.PERMISSION, _("{name} 不是评估专家，不能确认结论").format(name=actor.display_name))
        if self.service.form(record.form_ref).level_name(level) is None:
            raise AppError(ErrorCode.INVALID, f"level {level} does not exist in {record.form_ref}", where="level")
        self._refuse_original_people(actor, record)
        with self.service.unit_of_work(actor) as work:
            self.lstore.confirm(aid, actor.id, level, self.service.now())
            work.audit("conclusion.confirm", "assessment", aid, new={"level": level})
        return Changes(assessment_ids=(aid,))

    def confirmations(self, aid: int) -> list[dict[str, Any]]:
        return self.lstore.confirmations(aid)
