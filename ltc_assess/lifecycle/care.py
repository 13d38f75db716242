"""Care advice (照护建议) and the signed choice of care setting."""

from __future__ import annotations

from ltc_assess.conclusions import decided_policy
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.lifecycle.base import LifecycleBase
from ltc_assess.policies import advice
from ltc_assess.policies.model import SETTINGS
from ltc_assess.service import Changes, require_png
from ltc_assess.storage.records import User
from ltc_assess.workflow import Role


class CareCases(LifecycleBase):
    """The care advice the assessor reviews and the care setting the person or guardian signs for."""

    def care_advice(self, aid: int) -> list[str]:
        """The advice the assessor reviewed (for a correction: of the version it corrects), else the advice
        generated from the current result."""
        saved = self.records.reviewed_advice(aid)
        if saved:
            return saved
        record = self.service.assessment(aid)
        return advice.generate(record.form_id, record.score, record.answers)

    def save_care_advice(self, actor: User, aid: int, lines: list[str]) -> Changes:
        """The assessor's reviewed (edited) advice, one line each; only while the assessment is editable."""
        actor, _record = self.service.drafting.editable(actor, aid)
        cleaned = [line.strip() for line in lines if line.strip()]
        at = self.service.now()
        with self.service.unit_of_work(actor) as work:
            work.lifecycle.put_care_advice(aid, cleaned, actor.id, at)
            work.audit("care_advice.save", "assessment", aid, new={"lines": len(cleaned)})
            work.changed(aid, after_decision_changed=True)
        return work.changes

    def choose_care_setting(
        self, actor: User, aid: int, setting: str, signer_name: str, signature_png: bytes, relation: str | None = None
    ) -> Changes:
        """The person or guardian confirms the care setting chosen from those the conclusion allows (signed)."""
        actor = self.service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
        row = self.conclusion(aid)
        policy = decided_policy(row)
        offered = {b.setting for b, _text in policy.benefits_for(row["level"])}
        if not offered:
            raise AppError(ErrorCode.INVALID, _("该结论不享受长期护理保险待遇，无需确认护理服务形式"), where="setting")
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
        if self.records.care_choice(aid) is not None:
            raise AppError(ErrorCode.CONFLICT, _("评估 {id} 的护理服务形式已确认").format(id=aid))
        fields = {
            "assessment_id": aid,
            "setting": setting,
            "signer_name": signer_name.strip(),
            "signer_relation": (relation or "").strip() or None,
            "signature_png": signature_png,
            "recorded_by": actor.id,
            "confirmed_at": self.service.now(),
        }
        with self.service.unit_of_work(actor) as work:
            work.lifecycle.add_care_choice(fields)
            work.audit(
                "care_setting.confirm", "assessment", aid, new={"setting": setting, "signer": signer_name.strip()}
            )
            work.changed(aid, after_decision_changed=True)
        return work.changes
