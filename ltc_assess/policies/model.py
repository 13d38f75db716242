"""What a city policy file may contain: the rules after the decision and the benefits per care setting.

Every file and every benefit carries its ``sources`` and ``verified``; an unverified amount is shown with
"未核实" wherever it appears (``Benefit.label``), never as fact.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ltc_assess.i18n import _
from ltc_assess.schema.source_file import FromFile

# Care settings (a public contract of policy files): code -> the Chinese name shown.
SETTINGS = {"home": "居家", "community": "社区", "institution": "机构", "hospital": "医疗机构"}
UNITS = {
    "yuan_per_day": "元/天",
    "yuan_per_month": "元/月",
    "yuan_per_visit": "元/次",
    "hours_per_week": "小时/周",
    "hours_per_month": "小时/月",
    "visits_per_month": "次/月",
}
PAYERS = {"ltc_fund": "长护险基金", "personal": "个人", "other": "其他"}
QUALIFICATIONS = {"assessor": "评估员", "expert": "评估专家"}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Model):
    """Where a rule or amount was read: a title, an address, and what it says in a line."""

    title: str = Field(min_length=1)
    url: str | None = None
    note: str | None = None


class Sourced(_Model):
    verified: bool
    sources: tuple[Source, ...] = Field(min_length=1)


class Benefit(Sourced):
    """One benefit row: a care setting, an amount per level, who pays, and under which conditions."""

    setting: Literal["home", "community", "institution", "hospital"]
    name: str = Field(min_length=1)
    unit: Literal[
        "yuan_per_day", "yuan_per_month", "yuan_per_visit", "hours_per_week", "hours_per_month", "visits_per_month"
    ]
    amounts: dict[int, float] = Field(min_length=1)  # level -> amount
    cap: bool = True  # the amount is a ceiling ("最高"), not a fixed sum
    fund_share: float | None = Field(default=None, gt=0, le=1)
    payer: Literal["ltc_fund", "personal", "other"] = "ltc_fund"
    conditions: str | None = None

    def label(self, level: int) -> str | None:
        """``最高 1437 元/月，基金支付 75%（未核实）`` for ``level``, None when the row does not apply."""
        amount = self.amounts.get(level)
        if amount is None:
            return None
        number = f"{amount:g}"
        text = (_("最高 {amount} {unit}") if self.cap else "{amount} {unit}").format(
            amount=number, unit=_(UNITS[self.unit])
        )
        if self.fund_share is not None:
            text += _("，基金支付 {share}%").format(share=f"{self.fund_share * 100:g}")
        text += _("，支付方：{payer}").format(payer=_(PAYERS[self.payer]))
        if not self.verified:
            text += _("（未核实）")
        return text


class Objection(_Model):
    """How long after the letter an objection is accepted, and how to lodge it (printed on the letter)."""

    days: int = Field(ge=1)
    how: str = Field(min_length=1)


class OnSite(_Model):
    """The visit protocol: people on site, experts among them, expert confirmations of the conclusion."""

    min_people: int = Field(ge=1)
    min_experts: int = Field(ge=0)
    expert_confirmations: int = Field(ge=0)
    guardian_present: bool = True  # the guardian or an agent must be present


class Policy(Sourced, FromFile):
    """One version of one city's policy."""

    city: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    version: int = Field(ge=1)
    name: str = Field(min_length=1)  # the city's Chinese name, e.g. 成都
    form: str = Field(pattern=r"^[a-z0-9-]+@\d+$")  # form@version the city assesses with
    form_note: str | None = None  # how the city's own scale maps onto the form, when it differs
    eligible_levels: tuple[int, ...] = Field(min_length=1)
    publicity_days: int = Field(ge=0)
    objection: Objection
    validity_months: dict[int, int] = Field(min_length=1)  # level -> months a conclusion stays valid
    reapply_min_months: int = Field(ge=0)
    onsite: OnSite
    benefits: tuple[Benefit, ...] = ()
    notes: str | None = None

    @property
    def ref(self) -> str:
        """``city@version``, the way assessments record the policy they were decided under."""
        return f"{self.city}@{self.version}"

    def eligible(self, level: int | None) -> bool:
        return level is not None and level in self.eligible_levels

    def benefits_for(self, level: int) -> list[tuple[Benefit, str]]:
        """The rows that apply to ``level`` with their labels, in file order."""
        return [(b, text) for b in self.benefits if (text := b.label(level)) is not None]
