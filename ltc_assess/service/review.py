"""Review: submission (signed by both assessors), return, the decided level, approval (signed by the supervisor)
and corrections of approved assessments. Separation of duties is enforced here."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ltc_assess import conclusions
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.service import attestation
from ltc_assess.service.base import Manager
from ltc_assess.storage.records import Assessment, User
from ltc_assess.storage.work import Changes, Work
from ltc_assess.submission import SIGNER_LABELS, not_ready
from ltc_assess.workflow import REVIEW_ACTIONS, Action, Role, Status, apply


class Review(Manager):
    """Hand-in by the assessors, decisions by a supervisor who took no part."""

    def submit(self, actor: User, aid: int, passwords: Mapping[str, str] | None = None) -> Changes:
        """Hand in a complete assessment; it becomes read-only for the assessors.

        Where signing keys are configured, both assessors sign the report (PAdES) as part of the submission:
        ``passwords`` holds ``{"assessor1": ..., "assessor2": ...}`` (each typed by that assessor).
        """
        actor = self.service.active_actor(actor, Role.ASSESSOR)
        record = self.store.assessment(aid)
        new_status = apply(record.status, Action.SUBMIT, actor.role)
        if not record.took_part(actor.id):
            raise AppError(ErrorCode.PERMISSION, _("评估 {aid} 属于其他评估员").format(aid=aid))
        missing = self.service.drafting.checklist(aid)
        if missing:
            raise AppError(ErrorCode.INVALID, not_ready(missing))
        conclusions.check_submission(self.store, record)
        form = self.service.form(record.form_ref)
        with self.service.unit_of_work(actor) as work:
            result = self.service.drafting.store_score(aid, form, partial=False)
            self.store.update_assessment(aid, status=new_status.value, submitted_at=work.at, updated_at=work.at)
            work.audit(
                "assessment.submit",
                "assessment",
                aid,
                old={"status": record.status.value},
                new={"status": new_status.value, "proposed_level": result.final_level},
            )
            if self.service.keys.signing_configured():
                self._sign_submission(work, record, passwords or {})
            work.changed(aid, list_changed=True, status_changed=True, score_changed=True)
        return work.changes

    def _sign_submission(self, work: Work, record: Assessment, passwords: Mapping[str, str]) -> None:
        """Both assessors sign the rendered report, each with their own password; then the signed evidence."""
        aid = record.id
        pdf = self.service.reports.render_report(aid)
        for role, user_id in (("assessor1", record.assessor1_id), ("assessor2", record.assessor2_id)):
            secret = passwords.get(role)
            if not secret:
                raise AppError(
                    ErrorCode.AUTH, _("{who}需要输入自己的密码以签署报告").format(who=_(SIGNER_LABELS[role]))
                )
            try:
                pdf = self.service.keys.sign(pdf, user_id or -1, secret, role, "评估员确认：以上评估结果属实")
            except AppError as exc:  # two passwords were typed: say whose was wrong
                if exc.code != ErrorCode.AUTH:
                    raise
                raise AppError(ErrorCode.AUTH, _("{who}的签名密码错误").format(who=_(SIGNER_LABELS[role]))) from None
            digest = hashlib.sha256(pdf).hexdigest()
            self.store.add_report(aid, role, pdf, digest, work.at)
            work.audit("report.sign", "assessment", aid, new={"role": role, "sha256": digest}, actor_id=user_id)
        first, secret = record.assessor1_id, passwords["assessor1"]
        digest = hashlib.sha256(pdf).hexdigest()
        attestation.sign_record(self.service, aid, "submission", first, secret, digest, work.at)
        attestation.sign_checkpoint(self.service, first, secret, work.at)

    def _reviewable(self, actor: User, aid: int, action: Action) -> tuple[User, Assessment, Status]:
        actor = self.service.active_actor(actor, Role.SUPERVISOR)
        record = self.store.assessment(aid)
        new_status = apply(record.status, action, actor.role)
        if action in REVIEW_ACTIONS and record.took_part(actor.id):
            message = _("{name} 参与了评估 {id}，不能审核").format(name=actor.display_name, id=aid)
            raise AppError(ErrorCode.PERMISSION, message)
        return actor, record, new_status

    def return_for_correction(self, actor: User, aid: int, comment: str, item_id: str | None = None) -> Changes:
        """Send back to the assessors with a comment (kept in the thread)."""
        if not comment.strip():
            raise AppError(ErrorCode.INVALID, _("退回时须写明需要修改的内容"), where="comment")
        actor, record, new_status = self._reviewable(actor, aid, Action.RETURN)
        with self.service.unit_of_work(actor) as work:
            self.store.add_comment(aid, actor.id, comment.strip(), item_id, work.at)
            self.store.update_assessment(aid, status=new_status.value, updated_at=work.at)
            work.audit(
                "assessment.return",
                "assessment",
                aid,
                old={"status": record.status.value},
                new={"status": new_status.value},
                reason=comment.strip(),
            )
            work.changed(aid, list_changed=True, status_changed=True)
        return work.changes

    def decide_level(self, actor: User, aid: int, level: int, reason: str | None = None) -> Changes:
        """Record the supervisor's level; a level other than the proposed one needs a reason."""
        actor, record, _status = self._reviewable(actor, aid, Action.DECIDE_LEVEL)
        form = self.service.form(record.form_ref)
        if form.level_name(level) is None:
            raise AppError(
                ErrorCode.INVALID, _("{form} 中没有等级 {level}").format(level=level, form=form.ref), where="level"
            )
        if level != record.proposed_level and not (reason or "").strip():
            raise AppError(ErrorCode.INVALID, _("核定等级与建议等级不同时，须填写理由"), where="reason")
        with self.service.unit_of_work(actor) as work:
            self.store.update_assessment(
                aid,
                decided_level=level,
                decided_by=actor.id,
                decision_reason=(reason or "").strip() or None,
                updated_at=work.at,
            )
            work.audit(
                "assessment.decide_level",
                "assessment",
                aid,
                old={"decided_level": record.decided_level},
                new={"decided_level": level, "proposed_level": record.proposed_level},
                reason=reason,
            )
            work.changed(aid, list_changed=True)
        return work.changes

    def approve(self, actor: User, aid: int, password: str | None = None) -> Changes:
        """Approve (and lock) a submitted assessment; an approved correction supersedes the version it corrects.

        Where signing keys are configured the supervisor signs the report, the stamp stating the decided level.
        """
        actor, record, new_status = self._reviewable(actor, aid, Action.APPROVE)
        if record.supersedes_id is not None and record.created_by == actor.id:
            raise AppError(ErrorCode.PERMISSION, _("更正须由另一名审核员批准，发起人不能批准"))
        decided = record.decided_level if record.decided_level is not None else record.proposed_level
        conclusions.check_approval(self.store, record, decided, actor.id)  # type: ignore[arg-type]
        with self.service.unit_of_work(actor) as work:
            self.store.update_assessment(
                aid,
                status=new_status.value,
                approved_by=actor.id,
                approved_at=work.at,
                decided_level=decided,
                decided_by=record.decided_by if record.decided_level is not None else actor.id,
                updated_at=work.at,
            )
            work.audit(
                "assessment.approve",
                "assessment",
                aid,
                old={"status": record.status.value},
                new={"status": new_status.value, "decided_level": decided},
            )
            work.changed(aid, list_changed=True, status_changed=True)
            if record.supersedes_id is not None:
                old = self.store.assessment(record.supersedes_id)
                self.store.update_assessment(old.id, status=apply(old.status, Action.SUPERSEDE, actor.role).value)
                work.audit(
                    "assessment.supersede",
                    "assessment",
                    old.id,
                    old={"status": old.status.value},
                    new={"status": Status.SUPERSEDED.value, "by": aid},
                )
                work.changed(old.id)
            work.changed(*conclusions.record_conclusion(work, record, decided))  # type: ignore[arg-type]
            if self.service.keys.signing_configured():
                self._sign_approval(work, record, decided, password)
        return work.changes

    def _sign_approval(self, work: Work, record: Assessment, decided: int | None, password: str | None) -> None:
        """A new rendering of the approved record, carrying the assessor-signed submission unchanged (why not an
        appended revision: see ltc_assess.signing.attach), signed by the supervisor; then the signed evidence."""
        if not password:
            raise AppError(ErrorCode.AUTH, _("审核员需要输入自己的密码以签署批准"))
        from ltc_assess.signing.attach import embed_submitted

        aid, actor = record.id, work.user
        form = self.service.form(record.form_ref)
        submitted = self.store.latest_report(aid)
        pdf = self.service.reports.render_report(aid, submitted_attached=submitted is not None)
        if submitted is not None:
            pdf = embed_submitted(pdf, submitted)
        stamp = f"核定等级：{decided} {form.level_name(decided)}"
        pdf = self.service.keys.sign(pdf, actor.id, password, "supervisor", "审核批准", stamp)
        digest = hashlib.sha256(pdf).hexdigest()
        self.store.add_report(aid, "supervisor", pdf, digest, work.at)
        work.audit("report.sign", "assessment", aid, new={"role": "supervisor", "sha256": digest})
        attestation.sign_record(self.service, aid, "approval", actor.id, password, digest, work.at)
        attestation.sign_checkpoint(self.service, actor.id, password, work.at)

    def amend(self, actor: User, aid: int, reason: str) -> tuple[Assessment, Changes]:
        """Start a correction of an approved assessment: a new draft version with the same answers.

        The approved version stays valid (and readable) until the correction is approved by a supervisor
        who took no part in it; then it becomes superseded.
        """
        if not reason.strip():
            raise AppError(ErrorCode.INVALID, _("须填写更正原因"), where="reason")
        actor = self.service.active_actor(actor, Role.SUPERVISOR)
        record = self.store.assessment(aid)
        apply(record.status, Action.AMEND, actor.role)
        pending = [
            r
            for r in self.store.list_assessments(subject_id=record.subject_id)
            if r["supersedes_id"] == aid and r["status"] in ("draft", "returned", "submitted")
        ]
        if pending:
            raise AppError(
                ErrorCode.CONFLICT,
                _("评估 {aid} 已有正在进行的更正（{correction}）").format(aid=aid, correction=pending[0]["id"]),
            )
        with self.service.unit_of_work(actor) as work:
            at = work.at
            copied = (
                "subject_id form_id form_version form_sha256 reason assessment_date place assessor1_id assessor2_id"
                " informant_name informant_relation"
            )
            new_id = self.store.create_assessment(
                {
                    **{k: getattr(record, k) for k in copied.split()},
                    "status": Status.RETURNED.value,
                    "version_no": record.version_no + 1,
                    "supersedes_id": aid,
                    "created_by": actor.id,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            for item_id, value in record.answers.items():
                self.store.put_answer(new_id, item_id, value, actor.id, at)
            for role, png in self.store.signatures(aid).items():
                self.store.put_signature(new_id, role, png, at)
            self.store.add_comment(new_id, actor.id, f"更正原因：{reason.strip()}", None, at)
            self.service.drafting.store_score(new_id, self.service.form(record.form_ref), partial=True)
            work.audit(
                "assessment.amend",
                "assessment",
                new_id,
                new={"supersedes": aid, "version_no": record.version_no + 1},
                reason=reason.strip(),
            )
            work.changed(aid, new_id, list_changed=True)
        return self.store.assessment(new_id), work.changes
