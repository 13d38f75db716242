"""The review workflow: one transition table that the service enforces and the UI reads.

States follow DESIGN §2.3: draft → submitted → approved, with returned (back to the assessor, comments
kept) and superseded (an approved record replaced by an approved correction). ``exported`` is a flag on
approved records, not a state.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


class Role(StrEnum):
    ASSESSOR = "assessor"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# What people read (translated with _() where shown; the codes above are the stored values).
STATUS_LABELS = {
    "draft": "草稿",
    "submitted": "已提交",
    "returned": "已退回",
    "approved": "已批准",
    "superseded": "已被取代",
}
ACTION_LABELS = {
    "edit": "修改",
    "submit": "提交",
    "return": "退回",
    "decide_level": "核定等级",
    "approve": "批准",
    "amend": "更正",
    "supersede": "取代",
}
ROLE_LABELS = {"assessor": "评估员", "supervisor": "审核员", "admin": "管理员"}


class Action(StrEnum):
    EDIT = "edit"  # save answers, signatures, assessment details
    SUBMIT = "submit"
    RETURN = "return"
    DECIDE_LEVEL = "decide_level"
    APPROVE = "approve"
    AMEND = "amend"  # start a correction of an approved record
    SUPERSEDE = "supersede"  # done by the service when the correction is approved


# (status, action) -> (new status, roles allowed)
TRANSITIONS: Mapping[tuple[Status, Action], tuple[Status, frozenset[Role]]] = {
    (Status.DRAFT, Action.EDIT): (Status.DRAFT, frozenset({Role.ASSESSOR})),
    (Status.DRAFT, Action.SUBMIT): (Status.SUBMITTED, frozenset({Role.ASSESSOR})),
    (Status.RETURNED, Action.EDIT): (Status.RETURNED, frozenset({Role.ASSESSOR})),
    (Status.RETURNED, Action.SUBMIT): (Status.SUBMITTED, frozenset({Role.ASSESSOR})),
    (Status.SUBMITTED, Action.RETURN): (Status.RETURNED, frozenset({Role.SUPERVISOR})),
    (Status.SUBMITTED, Action.DECIDE_LEVEL): (Status.SUBMITTED, frozenset({Role.SUPERVISOR})),
    (Status.SUBMITTED, Action.APPROVE): (Status.APPROVED, frozenset({Role.SUPERVISOR})),
    (Status.APPROVED, Action.AMEND): (Status.APPROVED, frozenset({Role.SUPERVISOR})),
    (Status.APPROVED, Action.SUPERSEDE): (Status.SUPERSEDED, frozenset({Role.SUPERVISOR})),
}

# Actions a supervisor may not take on an assessment they took part in (separation of duties).
REVIEW_ACTIONS = frozenset({Action.RETURN, Action.DECIDE_LEVEL, Action.APPROVE})


def allowed_actions(status: Status | str, role: Role | str) -> frozenset[Action]:
    """Everything ``role`` may do to a record in ``status`` (before per-record checks)."""
    st, rl = Status(status), Role(role)
    return frozenset(a for (s, a), (_, roles) in TRANSITIONS.items() if s == st and rl in roles)


def apply(status: Status | str, action: Action | str, role: Role | str) -> Status:
    """The status after ``action``; raises AppError when the table does not allow it."""
    st, act, rl = Status(status), Action(action), Role(role)
    entry = TRANSITIONS.get((st, act))
    if entry is None:
        raise AppError(
            ErrorCode.TRANSITION,
            _("评估当前为“{status}”，不能{action}").format(
                status=_(STATUS_LABELS[st.value]), action=_(ACTION_LABELS[act.value])
            ),
        )
    new, roles = entry
    if rl not in roles:
        raise AppError(
            ErrorCode.PERMISSION,
            _("{role}不能{action}评估").format(role=_(ROLE_LABELS[rl.value]), action=_(ACTION_LABELS[act.value])),
        )
    return new
