"""公示 of conclusions, objections and the 复评 they open."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ltc_assess.conclusions import decided_policy
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.idnumber import mask
from ltc_assess.lifecycle.base import LifecycleBase
from ltc_assess.policies.rules import objection_until, publicity_until
from ltc_assess.service import Changes, NewAssessment
from ltc_assess.storage.records import Assessment, User
from ltc_assess.workflow import Role


def mask_name(name: str) -> str:
    """``张*三`` / ``张*``: the first (and, for longer names, last) character, as 公示 lists show names; a note in
    brackets after the name (``（示例）``) is kept, not counted as part of the name."""
    match = re.fullmatch(r"(.+?)\s*([（(][^（()）]*[）)])", name)
    base, note = (match.group(1), match.group(2)) if match else (name, "")
    if len(base) <= 1:
        return base + note
    if len(base) == 2:
        return base[0] + "*" + note
    return base[0] + "*" * (len(base) - 2) + base[-1] + note


class ObjectionCases(LifecycleBase):
    """公示, objections within the window, and the 复评 by people who took no part in the original."""

    def publish(self, actor: User, date_from: str, date_to: str) -> tuple[list[dict[str, Any]], Changes]:
        """The 公示 list of conclusions decided in the range, names and ID numbers masked; the notice period of
        each conclusion not yet published starts now and is recorded. Re-publishing keeps the first dates (and
        changes nothing). Returns the list and the conclusions it published."""
        actor = self.service.active_actor(actor, Role.SUPERVISOR, Role.ADMIN)
        for value, name in ((date_from, "--from"), (date_to, "--to")):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise AppError(
                    ErrorCode.INVALID, _("日期 {on!r} 无效（应为 YYYY-MM-DD）").format(on=value), where=name
                ) from None
        today = self._today()
        rows = [r for r in self.records.conclusions(date_from, date_to) if r["superseded_by"] is None]
        out = []
        with self.service.unit_of_work(actor) as work:
            for row in rows:
                if row["published_at"] is None:
                    policy = decided_policy(row)
                    dates = {
                        "published_at": today.isoformat(),
                        "publicity_until": publicity_until(policy, today).isoformat(),
                        "objection_until": objection_until(policy, today).isoformat(),
                    }
                    work.lifecycle.update_conclusion(row["assessment_id"], **dates)
                    work.audit("conclusion.publish", "assessment", row["assessment_id"], new=dates)
                    work.changed(row["assessment_id"], after_decision_changed=True)
                    row = {**row, **dates}
                out.append(
                    {
                        **{
                            k: row[k]
                            for k in (
                                "assessment_id",
                                "level",
                                "eligible",
                                "decided_at",
                                "policy_ref",
                                "valid_from",
                                "valid_until",
                                "published_at",
                                "publicity_until",
                                "objection_until",
                                "district",
                                "form_id",
                                "form_version",
                            )
                        },
                        "name": mask_name(row["subject_name"]),
                        "id_number": mask(row["id_number"]),
                    }
                )
        return out, work.changes

    # --- objection and 复评 -----------------------------------------------------------------------

    def lodge_objection(self, actor: User, aid: int, lodged_by: str, reason: str) -> tuple[int, Changes]:
        """Record an objection to a conclusion; outside the policy's window it is refused naming the deadline.
        Returns the objection's id and its changes."""
        actor = self.service.active_actor(actor, Role.SUPERVISOR, Role.ADMIN)
        if not lodged_by.strip() or not reason.strip():
            raise AppError(ErrorCode.INVALID, _("异议须写明提出人和理由"), where="objection")
        conclusion = self.conclusion(aid)
        if conclusion["superseded_by"] is not None:
            raise AppError(ErrorCode.TRANSITION, _("结论 {id} 已被复评取代").format(id=aid))
        today = self._today()
        if conclusion["objection_until"] and today.isoformat() > conclusion["objection_until"]:
            raise AppError(
                ErrorCode.TRANSITION,
                _("异议期已于 {date} 届满，不能再提出异议").format(date=conclusion["objection_until"]),
            )
        if any(o["review_id"] is None for o in self.records.objections(aid)):
            raise AppError(ErrorCode.CONFLICT, _("评估 {id} 已有待处理的异议").format(id=aid))
        at = self.service.now()
        fields = {
            "assessment_id": aid,
            "lodged_at": at,
            "lodged_by": lodged_by.strip(),
            "reason": reason.strip(),
            "recorded_by": actor.id,
        }
        with self.service.unit_of_work(actor) as work:
            oid = work.lifecycle.add_objection(fields)
            work.audit(
                "objection.lodge",
                "assessment",
                aid,
                new={"objection": oid, "lodged_by": lodged_by.strip()},
                reason=reason.strip(),
            )
            work.changed(aid, after_decision_changed=True)
        return oid, work.changes

    def start_review(self, actor: User, objection_id: int, assessor2_id: int) -> tuple[Assessment, Changes]:
        """An assessor opens the 复评 of an objection with a second assessor: a new draft of the same person and
        form (reason ``review``); refused to anyone who took part in the original. Returns the draft and the
        changes: the new draft's (as ``start_assessment``'s) and the original's objection, now taken."""
        actor = self.service.active_actor(actor, Role.ASSESSOR)
        objection = self.records.objection(objection_id)
        if objection["review_id"] is not None:
            raise AppError(ErrorCode.CONFLICT, _("异议 {id} 已开始复评").format(id=objection_id))
        original = self.service.assessment(objection["assessment_id"])
        took_part = self.records.participants(original)
        for user in (actor, self.service.accounts.user(assessor2_id)):
            if user.id in took_part:
                raise AppError(
                    ErrorCode.PERMISSION,
                    _("{name} 参与了原评估 {id}，不能参与复评").format(name=user.display_name, id=original.id),
                )
            if user.qualification is None:
                raise AppError(
                    ErrorCode.PERMISSION, _("{name} 没有评估员或评估专家资格").format(name=user.display_name)
                )
        new = NewAssessment(
            subject_id=original.subject_id, form=original.form_ref, reason="review", assessor2_id=assessor2_id
        )
        with self.service.unit_of_work(actor) as work:
            review, _started = self.service.start_assessment(actor, new)  # its changes are this unit's too
            work.lifecycle.set_review(objection_id, review.id)
            work.audit(
                "objection.review", "assessment", original.id, new={"objection": objection_id, "review": review.id}
            )
            work.changed(original.id, after_decision_changed=True)
        return review, work.changes

    def review_candidates(self, objection_id: int) -> list[User]:
        """The active, qualified assessors who took no part in the original: the people a 复评 may go to."""
        original = self.service.assessment(self.records.objection(objection_id)["assessment_id"])
        took_part = self.records.participants(original)
        return [
            u
            for u in self.service.users(Role.ASSESSOR.value)
            if u.id not in took_part and not u.disabled and u.qualification
        ]

    def open_objections(self, actor: User) -> list[dict[str, Any]]:
        """Objections whose 复评 has not started and ``actor`` may take (a qualified assessor who took no part in
        the original), with the person and the original level; nobody else is shown the names."""
        actor = self.service.active_actor(actor, Role.ASSESSOR)
        if actor.qualification is None:
            return []
        out = []
        for row in self.records.conclusions():
            waiting = [o for o in self.records.objections(row["assessment_id"]) if o["review_id"] is None]
            if waiting and actor.id not in self.records.participants(self.service.assessment(row["assessment_id"])):
                out += [{**o, "subject_name": row["subject_name"], "level": row["level"]} for o in waiting]
        return out

    def conclusions(self) -> list[dict[str, Any]]:
        """Every conclusion with its person and assessment, newest decision first (the app's list)."""
        return list(reversed(self.records.conclusions()))

    def reviews(self, aid: int) -> list[dict[str, Any]]:
        """The objections to ``aid`` with their 复评 and its conclusion, to show both together."""
        out = []
        for o in self.records.objections(aid):
            review = self.service.assessment(o["review_id"]) if o["review_id"] else None
            out.append(
                {
                    **o,
                    "review_status": review.status.value if review else None,
                    "review_conclusion": self.records.conclusion(review.id) if review else None,
                }
            )
        return out
