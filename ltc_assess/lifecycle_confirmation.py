"""An expert's confirmation of a conclusion's level as a signed lifecycle record (``lifecycle_records``).

Experts may confirm on a desktop other than the one where the supervisor approves; the approval counts the
confirmations the policy asks for, so each travels as a record its expert signed (in their own name: a
confirmation is signed by the next bundle or sync the expert makes, never by another user), judged by the shared
``judge`` rule plus the entitlement the desk applies: an active expert here, a supervisor or someone who took
part (an assessor of the record, or on its signed visit), confirming a level of the record's form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.storage.records import Assessment
from ltc_assess.workflow import Role

if TYPE_CHECKING:
    from ltc_assess.lifecycle_records import LifecycleSource

CONFIRMATION_KEYS = ("expert", "level", "confirmed_at")


def confirmation_fact(uid: str, row: Mapping[str, Any], expert: str) -> dict[str, Any]:
    """The fact of a confirmation row (``expert``: the confirming user's username)."""
    return {"kind": "confirmation", "assessment": uid, "expert": expert, "level": row["level"],
            "confirmed_at": row["confirmed_at"]}  # fmt: skip


def check_confirmation(src: LifecycleSource, root: bytes, record: Assessment, fact: dict[str, Any], _att: Any) -> None:
    """The signer confirms for themselves, is an expert here and entitled as at the desk (``visit.VisitCases``);
    the level is one of the record's form."""
    from ltc_assess.schema.registry import get_form

    expert = next(u for u in src.users() if u.username == fact["signer"])  # judged: an active user here
    if fact["expert"] != expert.username:
        named = _("确认记录写明专家为 {named}，但由 {username} 签署")
        raise AppError(ErrorCode.SIGNATURE, named.format(named=fact["expert"], username=expert.username))
    if expert.qualification != "expert":
        raise AppError(ErrorCode.PERMISSION, _("{name} 不是评估专家，不能确认结论").format(name=expert.display_name))
    took_part = record.took_part(expert.id) or expert.username in src.on_site(record.uid)
    if expert.role != Role.SUPERVISOR and not took_part:
        raise AppError(
            ErrorCode.PERMISSION,
            _("{name} 未参与评估 {id}（不是其评估员，也未在现场签到），不能确认其结论").format(
                name=expert.display_name, id=record.uid
            ),
        )
    level = fact["level"]
    if not isinstance(level, int) or get_form(record.form_ref).level_name(level) is None:
        raise AppError(ErrorCode.INVALID, _("{form} 中没有等级 {level}").format(level=level, form=record.form_ref))
