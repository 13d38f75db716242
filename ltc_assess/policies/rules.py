"""The policy's rules as pure functions: validity dates, 公示 and objection deadlines, the on-site protocol.

No storage and no clock here: callers pass dates and plain rows, so each rule is tested on its own.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ltc_assess.i18n import _
from ltc_assess.policies.model import OnSite, Policy


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class Validity:
    """How long a conclusion counts, and from when the person may apply again."""

    valid_from: dt.date
    valid_until: dt.date
    reapply_after: dt.date


def validity(policy: Policy, level: int, decided_on: dt.date) -> Validity:
    """A conclusion decided on ``decided_on`` is valid for the policy's months for ``level`` (last day included)."""
    months = policy.validity_months.get(level, max(policy.validity_months.values()))
    return Validity(
        valid_from=decided_on,
        valid_until=add_months(decided_on, months) - dt.timedelta(days=1),
        reapply_after=add_months(decided_on, policy.reapply_min_months),
    )


def publicity_until(policy: Policy, published_on: dt.date) -> dt.date:
    """Last day of the 公示 that starts on ``published_on``."""
    return published_on + dt.timedelta(days=max(policy.publicity_days - 1, 0))


def objection_until(policy: Policy, published_on: dt.date) -> dt.date:
    """Last day to object: the policy's window counted from the end of the 公示."""
    return publicity_until(policy, published_on) + dt.timedelta(days=policy.objection.days)


def protocol_problems(
    onsite: OnSite, people: Iterable[Mapping[str, Any]], checks: Mapping[str, Any] | None
) -> list[str]:
    """What the visit lacks under the policy (empty when it satisfies it), for the message at submission.

    ``people`` are the visit rows (``check_out_at``, ``qualification``); only people who checked in and out count.
    """
    present = [p for p in people if p.get("check_out_at")]
    experts = [p for p in present if p.get("qualification") == "expert"]
    out = []
    if len(present) < onsite.min_people:
        out.append(
            _("现场评估须至少 {need} 人签到并签退（现有 {have} 人）").format(need=onsite.min_people, have=len(present))
        )
    if len(experts) < onsite.min_experts:
        out.append(
            _("现场评估须至少 {need} 名评估专家（现有 {have} 名）").format(need=onsite.min_experts, have=len(experts))
        )
    if checks is None:
        out.append(_("未记录是否核验身份及监护人是否在场"))
    else:
        if not checks["identity_checked"]:
            out.append(_("须在现场核验申请人身份"))
        if onsite.guardian_present and not checks["guardian_present"]:
            out.append(_("须有监护人或代理人在场"))
    return out


def confirmation_problems(onsite: OnSite, confirmations: Iterable[Mapping[str, Any]], level: int) -> list[str]:
    """Expert confirmations of ``level`` the policy still needs before approval."""
    agree = [c for c in confirmations if c.get("qualification") == "expert" and c["level"] == level]
    if len(agree) >= onsite.expert_confirmations:
        return []
    return [
        _("评估结论须经至少 {need} 名评估专家确认（确认等级 {level} 的现有 {have} 名）").format(
            need=onsite.expert_confirmations, level=level, have=len(agree)
        )
    ]
