"""Use cases after the decision: the city, the on-site visit, expert confirmation, 公示, objection and 复评,
status reviews and the due list.

``Lifecycle`` wraps an ``AssessmentService`` (same database, same role checks and audit chain); the checks
that must hold at submission and approval run inside the service itself (``ltc_assess.conclusions``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ltc_assess.conclusions import POLICY_SETTING, city_policy, decided_policy, participants
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.idnumber import mask
from ltc_assess.policies import Policy, advice, get_policy
from ltc_assess.policies.model import QUALIFICATIONS, SETTINGS
from ltc_assess.policies.rules import objection_until, publicity_until
from ltc_assess.service import AssessmentService, Changes, NewAssessment, require_png
from ltc_assess.storage import audit
from ltc_assess.storage.db import transaction
from ltc_assess.storage.lifecycle_store import LifecycleStore
from ltc_assess.storage.records import Assessment, User
from ltc_assess.workflow import Role, Status

if TYPE_CHECKING:
    from ltc_assess.report.letter import LetterData


def mask_name(name: str) -> str:
    """``张*三`` / ``张*``: the first (and, for longer names, last) character, as 公示 lists show names."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True, slots=True)
class DueEntry:
    """One line of the due list: whose conclusion, what falls due, and when."""

    kind: str  # 'expiring' | 'status_review' | 'no_reapply'
    assessment_id: int
    subject_id: int
    subject_name: str
    level: int
    date: str
    note: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "assessment_id": self.assessment_id,
            "subject_id": self.subject_id,
            "subject_name": self.subject_name,
            "level": self.level,
            "date": self.date,
            "note": self.note,
        }


DUE_LABELS = {"expiring": "结论即将到期", "status_review": "待状态评估", "no_reapply": "暂不能重新申请"}


class Lifecycle:
    """The after-the-decision use cases over one service."""

    def __init__(self, service: AssessmentService) -> None:
        self.service = service
        self.lstore = LifecycleStore(service.db)

    @property
    def _store(self):  # type: ignore[no-untyped-def]
        return self.service.store

    def _today(self) -> dt.date:
        return dt.date.fromisoformat(self.service._now()[:10])

    def _audit(self, actor: User, action: str, aid: int | None, new: Any, reason: str | None = None) -> None:
        audit.append(
            self.service.db,
            at=self.service._now(),
            actor_id=actor.id,
            action=action,
            entity="assessment",
            entity_id=aid,
            new=new,
            reason=reason,
        )

    # --- the city and the staff -------------------------------------------------------------------

    def policy(self) -> Policy:
        """The installation's city policy; a clear error when no city was chosen yet."""
        policy = city_policy(self._store)
        if policy is None:
            raise AppError(ErrorCode.POLICY_NOT_FOUND, _("尚未选择本机构所在城市（ltc-assess policies use CITY）"))
        return policy

    def use_city(self, actor: User, city: str) -> Policy:
        """Admin: choose the city whose newest policy applies from now on (earlier conclusions keep theirs)."""
        actor = self.service._actor(actor, Role.ADMIN)
        policy = get_policy(city)
        with transaction(self.service.db):
            self._store.set_setting(POLICY_SETTING, policy.city)
            audit.append(
                self.service.db,
                at=self.service._now(),
                actor_id=actor.id,
                action="policy.use",
                entity="settings",
                entity_id=POLICY_SETTING,
                new={"policy": policy.ref},
            )
        return policy

    def set_qualification(self, actor: User, username: str, kind: str | None) -> User:
        """Admin: a user's qualification, 评估员 (``assessor``) or 评估专家 (``expert``), or none."""
        if kind is not None and kind not in QUALIFICATIONS:
            raise AppError(
                ErrorCode.INVALID, f"unknown qualification {kind!r} (assessor, expert)", where="qualification"
            )
        return self.service._change_user(
            actor, username, "user.set_qualification", {"qualification": kind}, {"qualification": kind}
        )

    # --- the on-site visit ------------------------------------------------------------------------

    def _on_visit(self, actor: User, aid: int) -> tuple[User, Assessment]:
        actor = self.service._actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
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
        with transaction(self.service.db):
            self.lstore.check_in(aid, actor.id, self.service._now(), place.strip())
            self._audit(actor, "visit.check_in", aid, {"place": place.strip()})
        return Changes(assessment_ids=(aid,))

    def check_out(self, actor: User, aid: int, place: str) -> Changes:
        if not place.strip():
            raise AppError(ErrorCode.INVALID, _("须填写签退地点"), where="place")
        actor, _record = self._on_visit(actor, aid)
        with transaction(self.service.db):
            self.lstore.check_out(aid, actor.id, self.service._now(), place.strip())
            self._audit(actor, "visit.check_out", aid, {"place": place.strip()})
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
            "recorded_at": self.service._now(),
        }
        with transaction(self.service.db):
            self.lstore.put_visit_checks(aid, fields)
            self._audit(actor, "visit.checks", aid, fields)
        return Changes(assessment_ids=(aid,))

    def visit(self, aid: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        return self.lstore.visit_people(aid), self.lstore.visit_checks(aid)

    # --- expert confirmation ----------------------------------------------------------------------

    def confirm(self, actor: User, aid: int, level: int) -> Changes:
        """An expert confirms the conclusion's level of a submitted assessment (before approval)."""
        actor = self.service._actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
        record = self._store.assessment(aid)
        if record.status != Status.SUBMITTED:
            raise AppError(ErrorCode.TRANSITION, _("只有已提交的评估可由专家确认"))
        if actor.qualification != "expert":
            raise AppError(ErrorCode.PERMISSION, _("{name} 不是评估专家，不能确认结论").format(name=actor.display_name))
        if self.service._forms(record.form_ref).level_name(level) is None:
            raise AppError(ErrorCode.INVALID, f"level {level} does not exist in {record.form_ref}", where="level")
        self._refuse_original_people(actor, record)
        with transaction(self.service.db):
            self.lstore.confirm(aid, actor.id, level, self.service._now())
            self._audit(actor, "conclusion.confirm", aid, {"level": level})
        return Changes(assessment_ids=(aid,))

    def confirmations(self, aid: int) -> list[dict[str, Any]]:
        return self.lstore.confirmations(aid)

    # --- conclusions, 公示 ------------------------------------------------------------------------

    def conclusion(self, aid: int) -> dict[str, Any]:
        found = self.lstore.conclusion(aid)
        if found is None:
            raise AppError(ErrorCode.NOT_FOUND, _("评估 {id} 没有按城市政策记录的结论").format(id=aid))
        return found

    def publish(self, actor: User, date_from: str, date_to: str) -> list[dict[str, Any]]:
        """The 公示 list of conclusions decided in the range, names and ID numbers masked; the notice period of
        each conclusion not yet published starts now and is recorded. Re-publishing keeps the first dates."""
        actor = self.service._actor(actor, Role.SUPERVISOR, Role.ADMIN)
        for value, name in ((date_from, "--from"), (date_to, "--to")):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise AppError(ErrorCode.INVALID, f"bad date {value!r} (YYYY-MM-DD)", where=name) from None
        today = self._today()
        rows = [r for r in self.lstore.conclusions(date_from, date_to) if r["superseded_by"] is None]
        out = []
        with transaction(self.service.db):
            for row in rows:
                if row["published_at"] is None:
                    policy = decided_policy(row)
                    dates = {
                        "published_at": today.isoformat(),
                        "publicity_until": publicity_until(policy, today).isoformat(),
                        "objection_until": objection_until(policy, today).isoformat(),
                    }
                    self.lstore.update_conclusion(row["assessment_id"], **dates)
                    self._audit(actor, "conclusion.publish", row["assessment_id"], dates)
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
        return out

    # --- objection and 复评 -----------------------------------------------------------------------

    def lodge_objection(self, actor: User, aid: int, lodged_by: str, reason: str) -> int:
        """Record an objection to a conclusion; outside the policy's window it is refused naming the deadline."""
        actor = self.service._actor(actor, Role.SUPERVISOR, Role.ADMIN)
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
        if any(o["review_id"] is None for o in self.lstore.objections(aid)):
            raise AppError(ErrorCode.CONFLICT, _("评估 {id} 已有待处理的异议").format(id=aid))
        at = self.service._now()
        fields = {
            "assessment_id": aid,
            "lodged_at": at,
            "lodged_by": lodged_by.strip(),
            "reason": reason.strip(),
            "recorded_by": actor.id,
        }
        with transaction(self.service.db):
            oid = self.lstore.add_objection(fields)
            self._audit(
                actor, "objection.lodge", aid, {"objection": oid, "lodged_by": lodged_by.strip()}, reason.strip()
            )
        return oid

    def start_review(self, actor: User, objection_id: int, assessor2_id: int) -> Assessment:
        """An assessor opens the 复评 of an objection with a second assessor: a new draft of the same person and
        form (reason ``review``); refused to anyone who took part in the original."""
        actor = self.service._actor(actor, Role.ASSESSOR)
        objection = self.lstore.objection(objection_id)
        if objection["review_id"] is not None:
            raise AppError(ErrorCode.CONFLICT, _("异议 {id} 已开始复评").format(id=objection_id))
        original = self._store.assessment(objection["assessment_id"])
        took_part = participants(self._store, original)
        for user in (actor, self._store.user(assessor2_id)):
            if user.id in took_part:
                raise AppError(
                    ErrorCode.PERMISSION,
                    _("{name} 参与了原评估 {id}，不能参与复评").format(name=user.display_name, id=original.id),
                )
        new = NewAssessment(
            subject_id=original.subject_id, form=original.form_ref, reason="review", assessor2_id=assessor2_id
        )
        with transaction(self.service.db):
            review, _changes = self.service.start_assessment(actor, new)
            self.lstore.set_review(objection_id, review.id)
            self._audit(actor, "objection.review", original.id, {"objection": objection_id, "review": review.id})
        return review

    def reviews(self, aid: int) -> list[dict[str, Any]]:
        """The objections to ``aid`` with their 复评 and its conclusion, to show both together."""
        out = []
        for o in self.lstore.objections(aid):
            review = self._store.assessment(o["review_id"]) if o["review_id"] else None
            out.append(
                {
                    **o,
                    "review_status": review.status.value if review else None,
                    "review_conclusion": self.lstore.conclusion(review.id) if review else None,
                }
            )
        return out

    # --- care advice and the chosen care setting ------------------------------------------------

    def care_advice(self, aid: int) -> list[str]:
        """The advice the assessor reviewed, else the advice generated from the current result."""
        saved = self.lstore.care_advice(aid)
        if saved is not None:
            return saved
        record = self._store.assessment(aid)
        return advice.generate(record.form_id, record.score, record.answers)

    def save_care_advice(self, actor: User, aid: int, lines: list[str]) -> Changes:
        """The assessor's reviewed (edited) advice, one line each; only while the assessment is editable."""
        actor, _record = self.service._editable(actor, aid)
        cleaned = [line.strip() for line in lines if line.strip()]
        at = self.service._now()
        with transaction(self.service.db):
            self.lstore.put_care_advice(aid, cleaned, actor.id, at)
            self._audit(actor, "care_advice.save", aid, {"lines": len(cleaned)})
        return Changes(assessment_ids=(aid,))

    def choose_care_setting(
        self, actor: User, aid: int, setting: str, signer_name: str, signature_png: bytes, relation: str | None = None
    ) -> Changes:
        """The person or guardian confirms the care setting chosen from those the conclusion allows (signed)."""
        actor = self.service._actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
        row = self.conclusion(aid)
        policy = decided_policy(row)
        offered = {b.setting for b, _text in policy.benefits_for(row["level"])}
        if setting not in offered:
            names = "、".join(_(SETTINGS[s]) for s in SETTINGS if s in offered) or "—"
            raise AppError(
                ErrorCode.INVALID,
                _("该结论可选的护理服务形式：{names}").format(names=names),
                where="setting",
            )
        if not signer_name.strip():
            raise AppError(ErrorCode.INVALID, _("须填写确认人姓名"), where="signer")
        require_png(signature_png)
        if self.lstore.care_choice(aid) is not None:
            raise AppError(ErrorCode.CONFLICT, _("评估 {id} 的护理服务形式已确认").format(id=aid))
        fields = {
            "assessment_id": aid,
            "setting": setting,
            "signer_name": signer_name.strip(),
            "signer_relation": (relation or "").strip() or None,
            "signature_png": signature_png,
            "recorded_by": actor.id,
            "confirmed_at": self.service._now(),
        }
        with transaction(self.service.db):
            self.lstore.add_care_choice(fields)
            self._audit(actor, "care_setting.confirm", aid, {"setting": setting, "signer": signer_name.strip()})
        return Changes(assessment_ids=(aid,))

    # --- status reviews and the due list ----------------------------------------------------------

    def flag_status_review(self, actor: User, aid: int, on: str, reason: str) -> Changes:
        """Supervisor: a clear change is expected, so a 状态评估 falls due on ``on``."""
        actor = self.service._actor(actor, Role.SUPERVISOR)
        try:
            dt.date.fromisoformat(on)
        except ValueError:
            raise AppError(ErrorCode.INVALID, f"bad date {on!r} (YYYY-MM-DD)", where="on") from None
        if not reason.strip():
            raise AppError(ErrorCode.INVALID, _("须写明需要状态评估的理由"), where="reason")
        self.conclusion(aid)
        with transaction(self.service.db):
            self.lstore.update_conclusion(aid, status_review_on=on, status_review_reason=reason.strip())
            self._audit(actor, "conclusion.status_review", aid, {"on": on}, reason.strip())
        return Changes(assessment_ids=(aid,))

    def due(self, within_days: int = 30) -> list[DueEntry]:
        """Conclusions expiring within ``within_days``, 状态评估 falling due, people who may not re-apply yet."""
        today = self._today()
        horizon = (today + dt.timedelta(days=within_days)).isoformat()
        entries = []
        for row in self.lstore.conclusions():
            if row["superseded_by"] is not None or row["status"] != Status.APPROVED.value:
                continue
            base = (row["assessment_id"], row["subject_id"], row["subject_name"], row["level"])
            if row["valid_until"] <= horizon:
                note = _("已过期") if row["valid_until"] < today.isoformat() else _("到期前30日内可申请期末评估")
                entries.append(DueEntry("expiring", *base, row["valid_until"], note))
            if row["status_review_on"] and row["status_review_on"] <= horizon:
                entries.append(DueEntry("status_review", *base, row["status_review_on"], row["status_review_reason"]))
            if row["reapply_after"] > today.isoformat():
                entries.append(DueEntry("no_reapply", *base, row["reapply_after"], _("此日前不受理重新申请")))
        return sorted(entries, key=lambda e: (e.date, e.assessment_id, e.kind))

    # --- the 公示 file and the 告知书 --------------------------------------------------------------

    def publicity_file(self, actor: User, date_from: str, date_to: str, fmt: str) -> tuple[bytes, int]:
        """Publish (see ``publish``) and render the list as ``pdf`` or ``xlsx``; returns the bytes and the count."""
        from ltc_assess.report.publicity import render_publicity_pdf, render_publicity_xlsx

        entries = self.publish(actor, date_from, date_to)
        for e in entries:
            e["level_name"] = f"{e['level']} {self._level_name(e['form_id'], e['form_version'], e['level'])}"
        policy = self.policy()
        title = _("{city}长期护理保险失能等级评估结论公示").format(city=policy.name)
        notice = _(
            "结论日期 {start} 至 {end}；公示期 {days} 天，公示期内可提出异议。姓名、身份证号已按规定隐去部分信息。"
        ).format(start=date_from, end=date_to, days=policy.publicity_days)
        if fmt == "xlsx":
            return render_publicity_xlsx(title, notice, entries), len(entries)
        return render_publicity_pdf(title, notice, entries), len(entries)

    def _level_name(self, form_id: str, version: int, level: int) -> str:
        return self.service._forms(f"{form_id}@{version}").level_name(level) or str(level)

    def letter_data(self, aid: int) -> LetterData:
        """The 告知书 of an approved conclusion: outcome, benefits per care setting, validity, objection."""
        from ltc_assess.report.letter import BenefitLine, LetterData

        record = self._store.assessment(aid)
        row = self.conclusion(aid)
        policy = decided_policy(row)  # the version it was decided under, not today's
        subject = self._store.subject(record.subject_id)
        level = row["level"]
        flag = "" if policy.verified else _("（未核实）")
        if row["objection_until"]:
            deadline = row["objection_until"]
        else:
            deadline = _("公示结束后 {days} 日内").format(days=policy.objection.days)
        benefits = tuple(
            BenefitLine(_(SETTINGS[b.setting]), b.name, text, b.conditions or "")
            for b, text in policy.benefits_for(level)
        )
        history = []
        for o in self.reviews(aid):
            review = o["review_conclusion"]
            state = (
                _("复评 {id} 结论：等级 {level}").format(id=o["review_id"], level=review["level"])
                if review
                else _("复评进行中")
            )
            history.append(
                _("{date} {who} 提出异议；{state}").format(date=o["lodged_at"][:10], who=o["lodged_by"], state=state)
            )
        objection = self.lstore.objection_for_review(aid)
        if objection is not None:
            original = self.lstore.conclusion(objection["assessment_id"])
            if original is not None:
                history.append(
                    _("本结论为评估 {id}（原结论等级 {level}，{date}）的复评结论，{outcome}原结论").format(
                        id=original["assessment_id"],
                        level=original["level"],
                        date=original["decided_at"][:10],
                        outcome=_("已维持") if original["confirmed_by"] == aid else _("已取代"),
                    )
                )
        return LetterData(
            letter_id=f"{record.uid[:8]}-{aid}",
            city=policy.name,
            policy=f"{policy.ref}{flag}",
            eligible=bool(row["eligible"]),
            person=(
                (_("姓名"), subject.name),
                (_("身份证号"), subject.masked_id),
                (_("评估编号"), str(aid)),
                (_("评估表"), record.form_ref),
            ),
            level=f"{level} {self._level_name(record.form_id, record.form_version, level)}",
            decided_at=row["decided_at"][:10],
            valid_from=row["valid_from"],
            valid_until=row["valid_until"],
            reapply_after=row["reapply_after"],
            objection_deadline=deadline,
            objection_how=policy.objection.how,
            benefits=benefits,
            form_note=policy.form_note,
            care_advice=tuple(self.care_advice(aid)),
            history=tuple(history),
            care_choice=self._choice_text(aid),
        )

    def _choice_text(self, aid: int) -> tuple[str, bytes] | None:
        choice = self.lstore.care_choice(aid)
        if choice is None:
            return None
        who = choice["signer_name"] + (f"（{choice['signer_relation']}）" if choice["signer_relation"] else "")
        text = _("选择的护理服务形式：{setting}；确认人：{who}，{date}").format(
            setting=_(SETTINGS[choice["setting"]]), who=who, date=choice["confirmed_at"][:10]
        )
        return text, choice["signature_png"]

    def letter_pdf(self, aid: int, actor: User | None = None, password: str | None = None) -> tuple[bytes, bool]:
        """The letter, signed by ``actor`` (a supervisor) where signing keys are configured; returns (pdf, signed)."""
        from ltc_assess.report.letter import render_letter

        data = self.letter_data(aid)
        pdf = render_letter(data)
        if not self.service.signing_configured() or actor is None:
            return pdf, False
        actor = self.service._actor(actor, Role.SUPERVISOR)
        if not password:
            raise AppError(ErrorCode.AUTH, _("审核员需要输入自己的密码以签署告知书"))
        pdf = self.service._sign(pdf, actor.id, password, "supervisor", "告知书", data.level)
        with transaction(self.service.db):
            self._audit(actor, "letter.sign", aid, {"letter": data.letter_id})
        return pdf, True
