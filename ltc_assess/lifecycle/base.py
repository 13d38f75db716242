"""The base of the after-the-decision use cases: the city, the staff's qualifications, a conclusion."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ltc_assess.conclusions import POLICY_SETTING
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.policies import Policy, get_policy
from ltc_assess.service import AssessmentService, Changes
from ltc_assess.storage.records import User
from ltc_assess.workflow import Role


class LifecycleBase:
    """What every group of use cases shares: the service, the lifecycle tables, the clock."""

    def __init__(self, service: AssessmentService) -> None:
        self.service = service
        self.records = service.after_decision

    def _today(self) -> dt.date:
        return dt.date.fromisoformat(self.service.now()[:10])

    # --- the city and the staff -------------------------------------------------------------------

    def policy(self) -> Policy:
        """The installation's city policy; a clear error when no city was chosen yet."""
        policy = self.service.queries.city_policy()
        if policy is None:
            raise AppError(ErrorCode.POLICY_NOT_FOUND, _("尚未选择本机构所在城市（ltc-assess policies use CITY）"))
        return policy

    def use_city(self, actor: User, city: str) -> tuple[Policy, Changes]:
        """Admin: choose the city whose newest policy applies from now on (earlier conclusions keep theirs);
        returns the policy and ``policy_changed`` (its form, due list and pages)."""
        actor = self.service.active_actor(actor, Role.ADMIN)
        policy = get_policy(city)
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            work.store.set_setting(POLICY_SETTING, policy.city)
            work.audit("policy.use", "settings", POLICY_SETTING, new={"policy": policy.ref})
            work.changed(policy_changed=True)
        return policy, work.changes

    def set_qualification(self, actor: User, username: str, kind: str | None) -> Changes:
        """Admin: a user's qualification, 评估员 (``assessor``) or 评估专家 (``expert``), or none."""
        return self.service.set_qualification(actor, username, kind)

    def conclusion(self, aid: int) -> dict[str, Any]:
        found = self.records.conclusion(aid)
        if found is None:
            self.policy()  # no city chosen: the message says how to choose one
            text = _("评估 {id} 没有按城市政策记录的结论（未批准，或在选择城市之前批准）")
            raise AppError(ErrorCode.NOT_FOUND, text.format(id=aid))
        return found

    def _level_name(self, form_id: str, version: int, level: int) -> str:
        return self.service.form(f"{form_id}@{version}").level_name(level) or str(level)
