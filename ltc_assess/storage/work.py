"""One unit of work: the acting user re-checked, one durable transaction, its audit events, and what changed.

Every mutation goes through ``unit_of_work`` so that none can forget the audit event or the authorization,
and each returns ``Changes`` telling views what to refresh (Anki's OpChanges).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.storage import audit
from ltc_assess.storage.db import transaction
from ltc_assess.storage.lifecycle_store import LifecycleStore
from ltc_assess.storage.records import User
from ltc_assess.storage.store import Store
from ltc_assess.workflow import ROLE_LABELS, Role


@dataclass(frozen=True, slots=True)
class Changes:
    """What a mutation changed, so that views refresh only what they must (Anki's OpChanges)."""

    assessment_ids: tuple[int, ...] = ()
    subject_ids: tuple[int, ...] = ()
    list_changed: bool = False
    status_changed: bool = False
    score_changed: bool = False
    users_changed: bool = False
    conflicts_changed: bool = False  # bundle conflicts opened or closed
    due_changed: bool = False  # what falls due under the city policy, beyond approvals (a status review flagged)
    policy_changed: bool = False  # the installation chose (another) city policy: its form, due list and pages
    keys_changed: bool = False  # the agency's name, root, TSA or CRL, or a user's certificate: signing reads anew
    # what follows a decision (visit, care advice, expert confirmations, conclusions, 公示, objections and 复评,
    # care setting, letters): the 结论后续 pages read again
    after_decision_changed: bool = False

    def merged(self, other: Changes) -> Changes:
        """Both changes together: the ids of both (each once, in order), each flag set in either."""
        flags = {f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self) if f.name[-4:] != "_ids"}
        return Changes(
            assessment_ids=tuple(dict.fromkeys(self.assessment_ids + other.assessment_ids)),
            subject_ids=tuple(dict.fromkeys(self.subject_ids + other.subject_ids)),
            **flags,
        )


def authorize(store: Store, actor: User, *roles: Role) -> User:
    """``actor`` reloaded, refused when disabled or (with ``roles``) not in one of them."""
    current = store.user(actor.id)
    if current.disabled:
        raise AppError(ErrorCode.PERMISSION, _("账户 {username!r} 已停用").format(username=current.username))
    if roles and current.role not in roles:
        allowed = _("或").join(_(ROLE_LABELS[r]) for r in roles)
        raise AppError(
            ErrorCode.PERMISSION,
            _("只有{allowed}可以执行此操作（{username} 是{role}）").format(
                allowed=allowed, username=current.username, role=_(ROLE_LABELS[current.role])
            ),
        )
    return current


_ACTOR = object()  # "the unit's actor" (an event may name another one, or none)


@dataclass(slots=True)
class Work:
    """A unit of work in progress: its store, checked actor, time, and what it changed so far."""

    store: Store
    actor: User | None
    at: str
    changes: Changes = field(default_factory=Changes)

    @property
    def user(self) -> User:
        """The checked actor (for units that were opened with one)."""
        assert self.actor is not None, "unit of work without an actor"
        return self.actor

    @property
    def lifecycle(self) -> LifecycleStore:
        """The after-the-decision tables, written in this unit's transaction."""
        return LifecycleStore(self.store.db)

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: Any,
        *,
        old: Any = None,
        new: Any = None,
        reason: str | None = None,
        actor_id: Any = _ACTOR,
        at: str | None = None,
    ) -> None:
        """Append one event to the audit chain, inside this unit's transaction."""
        who = (self.actor.id if self.actor else None) if actor_id is _ACTOR else actor_id
        audit.append(
            self.store.db,
            at=at or self.at,
            actor_id=who,
            action=action,
            entity=entity,
            entity_id=entity_id,
            old=old,
            new=new,
            reason=reason,
        )

    def changed(self, *assessment_ids: int, subject_ids: tuple[int, ...] = (), **flags: bool) -> None:
        """Note what this unit changed (merged with what it noted before)."""
        self.changes = self.changes.merged(
            replace(Changes(), assessment_ids=tuple(assessment_ids), subject_ids=subject_ids, **flags)
        )


@contextmanager
def unit_of_work(store: Store, at: str, actor: User | None = None, *roles: Role) -> Iterator[Work]:
    """Check ``actor`` (active, one of ``roles``), then run the block in one transaction with its audit events.

    Nested units share the outer transaction (a savepoint) and add their ``Changes`` to the outer unit's; an
    error anywhere rolls the unit back whole.
    """
    current = authorize(store, actor, *roles) if actor is not None else None
    units = _open_units.setdefault(store, [])
    with transaction(store.db):
        work = Work(store, current, at)
        units.append(work)
        try:
            yield work
        finally:
            units.pop()
    if units:  # a nested unit's changes are its outer unit's too
        units[-1].changes = units[-1].changes.merged(work.changes)


_open_units: weakref.WeakKeyDictionary[Store, list[Work]] = weakref.WeakKeyDictionary()
