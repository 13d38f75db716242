"""Drafting: starting an assessment and filling it in — answers, handwritten signatures, the second assessor."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ltc_assess import conclusions
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.inputs import require_png
from ltc_assess.report.data import built_number
from ltc_assess.schema.answers import check_answer
from ltc_assess.schema.model import FormDef
from ltc_assess.scoring import ScoreResult, score
from ltc_assess.service.base import Manager
from ltc_assess.service.types import NewAssessment, SaveResult
from ltc_assess.storage.audit import digest
from ltc_assess.storage.records import Assessment, User
from ltc_assess.storage.work import Changes
from ltc_assess.submission import SIGNATURE_ROLES, MissingItem, checklist
from ltc_assess.workflow import Action, Role, Status, apply

REASONS = ("first", "routine", "immediate", "review", "other")  # A.1.3 codes (spec/README.md)


class Drafting(Manager):
    """What the assessors do before submission (each only on records they take part in)."""

    def start_assessment(self, actor: User, new: NewAssessment) -> tuple[Assessment, Changes]:
        """Open a draft on a form version, with identity answers pre-filled from the subject."""
        actor = self.service.active_actor(actor, Role.ASSESSOR)
        subject = self.store.subject(new.subject_id)
        form = self.service.form(new.form)
        if new.reason not in REASONS:
            raise AppError(
                ErrorCode.INVALID,
                _("评估原因必须是以下之一：{reasons}").format(reasons=", ".join(REASONS)),
                where="reason",
            )
        date = new.assessment_date or self.service.clock().date().isoformat()
        if new.assessor2_id is not None:
            self._check_second(actor, new.assessor2_id)
        conclusions.check_start(self.store, subject.id, new.reason, self.service.now()[:10])
        with self.service.unit_of_work(actor, Role.ASSESSOR) as work:
            at = work.at
            aid = self.store.create_assessment(
                {
                    "subject_id": subject.id,
                    "form_id": form.form,
                    "form_version": form.version,
                    "form_sha256": form.sha256,
                    "reason": new.reason,
                    "assessment_date": date,
                    "place": new.place,
                    "assessor1_id": actor.id,
                    "assessor2_id": new.assessor2_id,
                    "informant_name": new.informant_name,
                    "informant_relation": new.informant_relation,
                    "status": Status.DRAFT.value,
                    "created_by": actor.id,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            sources = {
                "subject.name": subject.name,
                "subject.sex": subject.sex,
                "subject.birth_date": subject.birth_date,
                "subject.id_number": subject.id_number,
                "subject.insurance_no": subject.insurance_no,
                "subject.phone": subject.phone,
                "assessment.number": built_number(date, self.store.assessment(aid).uid),
                "assessment.date": date,
                "assessment.reason": new.reason,
                "assessment.informant_name": new.informant_name,
            }
            for item_id, fill in form.prefill.items():
                value = sources.get(fill) if isinstance(fill, str) else fill.values.get(sources.get(fill.source) or "")
                if value is not None:
                    check_answer(form, item_id, value)
                    self.store.put_answer(aid, item_id, value, actor.id, at)
            self.store_score(aid, form, partial=True)
            work.audit(
                "assessment.start",
                "assessment",
                aid,
                new={"subject_id": subject.id, "form": form.ref, "reason": new.reason},
            )
            work.changed(aid, list_changed=True)
        return self.store.assessment(aid), work.changes

    def store_score(self, aid: int, form: FormDef, partial: bool) -> ScoreResult:
        """Score the stored answers and keep the result on the record (inside the caller's unit of work)."""
        result = score(form, self.store.answers(aid), partial=partial)
        self.store.update_assessment(
            aid,
            score_json=json.dumps(result.to_dict(), ensure_ascii=False),
            engine_version=result.engine_version,
            proposed_level=result.final_level,
        )
        return result

    def editable(self, actor: User, aid: int) -> tuple[User, Assessment]:
        actor = self.service.active_actor(actor, Role.ASSESSOR)
        record = self.store.assessment(aid)
        apply(record.status, Action.EDIT, actor.role)
        if not record.took_part(actor.id):
            raise AppError(ErrorCode.PERMISSION, _("评估 {aid} 属于其他评估员").format(aid=aid))
        return actor, record

    def _check_second(self, actor: User, assessor2_id: int) -> None:
        second = self.store.user(assessor2_id)
        if second.role != Role.ASSESSOR or second.id == actor.id:
            raise AppError(ErrorCode.INVALID, _("第二评估员须是另一名评估员"), where="assessor2")

    def save_answer(
        self, actor: User, aid: int, item_id: str, value: Any, current_item: str | None = None
    ) -> SaveResult:
        """Validate and durably store one answer (its own transaction), then the live score.

        When this returns, the answer is on disk: the UI may show it as saved.
        """
        return self.save_answers(actor, aid, {item_id: value}, current_item=current_item or item_id)

    def save_answers(
        self, actor: User, aid: int, answers: Mapping[str, Any], current_item: str | None = None
    ) -> SaveResult:
        """Validate all, then store them in one transaction (one durable write: "none of these" answers a group
        with one key), each with its own audit event; then the live score. Nothing is stored if one is refused."""
        if not answers:
            raise AppError(ErrorCode.INVALID, _("没有要保存的答案"))
        actor, record = self.editable(actor, aid)
        form = self.service.form(record.form_ref)
        for item_id, value in answers.items():
            check_answer(form, item_id, value)
        with self.service.unit_of_work(actor) as work:
            for item_id, value in answers.items():
                self.store.put_answer(aid, item_id, value, actor.id, work.at)
                work.audit(
                    "answer.save",
                    "assessment",
                    aid,
                    old={item_id: digest(record.answers.get(item_id))},
                    new={item_id: digest(value)},
                )
            self.store.update_assessment(aid, updated_at=work.at, current_item=current_item or next(iter(answers)))
            result = self.store_score(aid, form, partial=True)
            work.changed(aid, score_changed=True)
        return SaveResult(work.changes, result, work.at)

    def set_current_item(self, actor: User, aid: int, item_id: str) -> None:
        """Remember where the assessor is, so that a reopened assessment resumes there (not audited: no data)."""
        self.editable(actor, aid)
        with self.service.unit_of_work(actor):
            self.store.update_assessment(aid, current_item=item_id)

    def save_signature(self, actor: User, aid: int, role: str, png: bytes) -> Changes:
        """Store a handwritten signature (PNG) of assessor 1, assessor 2 or the information provider."""
        actor, _record = self.editable(actor, aid)
        if role not in SIGNATURE_ROLES:
            raise AppError(
                ErrorCode.INVALID, _("签名角色必须是以下之一：{roles}").format(roles=", ".join(SIGNATURE_ROLES))
            )
        require_png(png)
        with self.service.unit_of_work(actor) as work:
            self.store.put_signature(aid, role, png, work.at)
            work.audit("signature.save", "assessment", aid, new={"role": role, "bytes": len(png)})
            work.changed(aid)
        return work.changes

    def set_second_assessor(self, actor: User, aid: int, assessor2_id: int) -> Changes:
        actor, _record = self.editable(actor, aid)
        self._check_second(actor, assessor2_id)
        with self.service.unit_of_work(actor) as work:
            self.store.update_assessment(aid, assessor2_id=assessor2_id, updated_at=work.at)
            work.audit("assessment.assessor2", "assessment", aid, new={"assessor2_id": assessor2_id})
            work.changed(aid, list_changed=True)
        return work.changes

    def checklist(self, aid: int) -> list[MissingItem]:
        """What still stops submission: unanswered required items, second assessor, signatures."""
        record = self.store.assessment(aid)
        form = self.service.form(record.form_ref)
        return checklist(form, record.answers, record.assessor2_id is not None, self.store.signed_roles(aid))
