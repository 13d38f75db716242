"""The submit checklist: what still stops an assessment from being handed in (a pure rule, no database).

Who signs where: forms name their signature pads ``SIG.<role>``; assessor 1, assessor 2 and the information
provider sign by hand before submission.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from ltc_assess.i18n import _
from ltc_assess.schema.model import FormDef
from ltc_assess.session import FormSession

SIGNATURE_ROLES = ("assessor1", "assessor2", "informant")
SIGNER_LABELS = {"assessor1": "评估员（一）", "assessor2": "评估员（二）", "informant": "信息提供者"}


def signature_item(role: str) -> str:
    """The form item where ``role`` signs: forms name their signature pads SIG.<role>."""
    return f"SIG.{role}"


def signature_role(item_id: str) -> str:
    """The role that signs at a signature item (the inverse of ``signature_item``)."""
    return item_id.removeprefix("SIG.")


@dataclass(frozen=True, slots=True)
class MissingItem:
    """One entry of the submit checklist."""

    item_id: str | None  # None for record-level requirements (second assessor, signatures)
    message: str


def checklist(
    form: FormDef, answers: Mapping[str, Any], has_assessor2: bool, signed_roles: Collection[str]
) -> list[MissingItem]:
    """Unanswered required items, a missing second assessor, missing handwritten signatures."""
    missing = [MissingItem(i.item_id, i.message) for i in FormSession(form, dict(answers)).validate()]
    if not has_assessor2:
        missing.append(MissingItem(None, _("需要第二名评估员")))
    missing += [
        MissingItem(
            signature_item(r) if signature_item(r) in form.items else None,
            _("缺少{who}签名").format(who=_(SIGNER_LABELS[r])),
        )
        for r in SIGNATURE_ROLES
        if r not in signed_roles
    ]
    return missing


def not_ready(missing: list[MissingItem]) -> str:
    """Why submission is refused: how many entries are open, the first five of them."""
    listed = "; ".join(m.message for m in missing[:5]) + ("…" if len(missing) > 5 else "")
    return _("尚不能提交：还有 {count} 项未完成（{listed}）").format(count=len(missing), listed=listed)
