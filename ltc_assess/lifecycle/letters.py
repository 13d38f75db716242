"""The 公示 list file and the 告知书 of a conclusion."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ltc_assess.conclusions import decided_policy
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.lifecycle.care import CareCases
from ltc_assess.lifecycle.objection import ObjectionCases
from ltc_assess.policies.model import SETTINGS
from ltc_assess.service import Changes
from ltc_assess.storage.records import User
from ltc_assess.workflow import Role

if TYPE_CHECKING:
    from ltc_assess.report.letter import LetterData


class LetterCases(ObjectionCases, CareCases):
    """The 公示 file and the 告知书 (their layout lives in ``ltc_assess.report``)."""

    def publicity_file(self, actor: User, date_from: str, date_to: str, fmt: str) -> tuple[tuple[bytes, int], Changes]:
        """Publish (see ``publish``) and render the list as ``pdf`` or ``xlsx``; returns the bytes and the count,
        and what publishing changed."""
        from ltc_assess.report.publicity import render_publicity_pdf, render_publicity_xlsx

        entries, changes = self.publish(actor, date_from, date_to)
        for e in entries:
            e["level_name"] = f"{e['level']} {self._level_name(e['form_id'], e['form_version'], e['level'])}"
        policy = self.policy()
        title = _("{city}长期护理保险失能等级评估结论公示").format(city=policy.name)
        notice = _(
            "结论日期 {start} 至 {end}；公示期 {days} 天，公示期内可提出异议。姓名、身份证号已按规定隐去部分信息。"
        ).format(start=date_from, end=date_to, days=policy.publicity_days)
        if fmt == "xlsx":
            return (render_publicity_xlsx(title, notice, entries), len(entries)), changes
        return (render_publicity_pdf(title, notice, entries), len(entries)), changes

    def letter_data(self, aid: int) -> LetterData:
        """The 告知书 of an approved conclusion: outcome, benefits per care setting, validity, objection."""
        from ltc_assess.report.letter import BenefitLine, LetterData

        record = self.service.assessment(aid)
        row = self.conclusion(aid)
        if row["superseded_by"] is not None:  # a letter states the conclusion in force, never a replaced one
            raise AppError(
                ErrorCode.TRANSITION,
                _("评估 {id} 的结论已被复评 {by} 取代，请出具复评结论的告知书").format(id=aid, by=row["superseded_by"]),
            )
        policy = decided_policy(row)  # the version it was decided under, not today's
        subject = self.service.subject(record.subject_id)
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
            history=tuple(self.history(aid)),
            care_choice=self._choice_text(aid),
        )

    def history(self, aid: int) -> list[str]:
        """The conclusion's objections and their 复评, or for a 复评 its original: shown together everywhere."""
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
        objection = self.records.objection_for_review(aid)
        if objection is not None:
            original = self.records.conclusion(objection["assessment_id"])
            if original is not None:
                history.append(
                    _("本结论为评估 {id}（原结论等级 {level}，{date}）的复评结论，{outcome}原结论").format(
                        id=original["assessment_id"],
                        level=original["level"],
                        date=original["decided_at"][:10],
                        outcome=_("已维持") if original["confirmed_by"] == aid else _("已取代"),
                    )
                )
        return history

    def _choice_text(self, aid: int) -> tuple[str, bytes] | None:
        choice = self.records.care_choice(aid)
        if choice is None:
            return None
        who = choice["signer_name"] + (f"（{choice['signer_relation']}）" if choice["signer_relation"] else "")
        text = _("选择的护理服务形式：{setting}；确认人：{who}，{date}").format(
            setting=_(SETTINGS[choice["setting"]]), who=who, date=choice["confirmed_at"][:10]
        )
        return text, choice["signature_png"]

    def letter_pdf(
        self, aid: int, actor: User | None = None, password: str | None = None
    ) -> tuple[tuple[bytes, bool], Changes]:
        """The letter, signed by ``actor`` (a supervisor) where signing keys are configured; returns (pdf, signed)
        and the changes: a signed letter is kept (to travel to the office server), an unsigned one changes nothing."""
        from ltc_assess.report.letter import render_letter

        data = self.letter_data(aid)
        pdf = render_letter(data)
        if not self.service.signing_configured() or actor is None:
            return (pdf, False), Changes()
        actor = self.service.active_actor(actor, Role.SUPERVISOR)
        if not password:
            raise AppError(ErrorCode.AUTH, _("审核员需要输入自己的密码以签署告知书"))
        from ltc_assess.lifecycle_exchange import keep_letter
        from ltc_assess.signing.cms import sign_detached

        pdf = self.service.keys.sign(pdf, actor.id, password, "supervisor", "告知书", data.level)
        pair, root = self.service.keys.key_pair(actor.id), self.service.root_certificate()
        uid = self.service.assessment(aid).uid
        assert pair is not None  # it just signed
        with self.service.unit_of_work(actor) as work:
            work.audit("letter.sign", "assessment", aid, new={"letter": data.letter_id})
            # kept signed, so that it travels to the office server and insurers read it there
            sign = partial(sign_detached, pair=pair, password=password, chain_pem=[root])
            keep_letter(work.store, uid, pdf, actor.username, sign, work.at)
            work.changed(aid, after_decision_changed=True)
        return (pdf, True), work.changes
