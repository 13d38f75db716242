"""What falls due: expiring conclusions, 状态评估, people who may not re-apply yet."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.lifecycle.base import LifecycleBase
from ltc_assess.service import Changes
from ltc_assess.storage.records import User
from ltc_assess.workflow import Role, Status


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
        return asdict(self)


DUE_LABELS = {"expiring": "结论即将到期", "status_review": "待状态评估", "no_reapply": "暂不能重新申请"}


class DueCases(LifecycleBase):
    """状态评估 flags and the due list."""

    def flag_status_review(self, actor: User, aid: int, on: str, reason: str) -> Changes:
        """Supervisor: a clear change is expected, so a 状态评估 falls due on ``on``."""
        actor = self.service.active_actor(actor, Role.SUPERVISOR)
        try:
            dt.date.fromisoformat(on)
        except ValueError:
            raise AppError(
                ErrorCode.INVALID, _("日期 {on!r} 无效（应为 YYYY-MM-DD）").format(on=on), where="on"
            ) from None
        if not reason.strip():
            raise AppError(ErrorCode.INVALID, _("须写明需要状态评估的理由"), where="reason")
        self.conclusion(aid)
        with self.service.unit_of_work(actor) as work:
            work.lifecycle.update_conclusion(aid, status_review_on=on, status_review_reason=reason.strip())
            work.audit("conclusion.status_review", "assessment", aid, new={"on": on}, reason=reason.strip())
            work.changed(aid, due_changed=True)  # no 结论后续 page shows the flag; the due list does
        return work.changes

    def _current(self) -> list[dict[str, Any]]:
        """Each person's newest standing conclusion: a later one (a 复评 that confirmed it, a reassessment)
        takes over what falls due, so nobody is listed twice."""
        newest: dict[int, dict[str, Any]] = {}
        for row in self.records.conclusions():  # oldest decision first
            if row["superseded_by"] is None and row["status"] == Status.APPROVED.value:
                newest[row["subject_id"]] = row
        return list(newest.values())

    def due(self, within_days: int = 30) -> list[DueEntry]:
        """Conclusions expiring within ``within_days``, 状态评估 falling due, people who may not re-apply yet."""
        self.policy()  # without a city nothing is due under a policy: say how to choose one, not "nothing due"
        today = self._today()
        horizon = (today + dt.timedelta(days=within_days)).isoformat()
        entries = []
        for row in self._current():
            base = (row["assessment_id"], row["subject_id"], row["subject_name"], row["level"])
            if row["valid_until"] <= horizon:
                note = _("已过期") if row["valid_until"] < today.isoformat() else _("到期前30日内可申请期末评估")
                entries.append(DueEntry("expiring", *base, row["valid_until"], note))
            if row["status_review_on"] and row["status_review_on"] <= horizon:
                entries.append(DueEntry("status_review", *base, row["status_review_on"], row["status_review_reason"]))
            if row["reapply_after"] > today.isoformat():
                entries.append(DueEntry("no_reapply", *base, row["reapply_after"], _("此日前不受理重新申请")))
        return sorted(entries, key=lambda e: (e.date, e.assessment_id, e.kind))
