"""Which approved 复评 confirmed or superseded a decision held on the server, from the signed records alone.

The desktop keeps the link in its conclusions table (``conclusions._settle``); the server holds only what was
signed: a 复评's supervisor signed an approval naming the original (``reviews``) and the level decided. The first
such 复评 at the original's level confirms it, the first at another level supersedes it — the desktop's rule.
A record's own ``reviews`` field without that signature links nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ltc_assess import evidence
from ltc_assess.errors import LtcError
from ltc_assess.storage.pg import lifecycle
from ltc_assess.storage.pg.repository import PgStore
from ltc_assess.workflow import Status


def links(store: PgStore, root: bytes, uid: str, level: int | None) -> dict[str, dict[str, Any] | None]:
    """``confirmed_by`` and ``superseded_by`` of the decision ``uid`` at ``level``: the 复评's row (id, uid) or
    None."""
    found: dict[str, dict[str, Any] | None] = {"confirmed_by": None, "superseded_by": None}
    for review in lifecycle.reviews_of(store, uid):
        decided = _signed_level(root, review["approvals"], uid)
        if decided is None:
            continue
        which = "confirmed_by" if decided == level else "superseded_by"
        if found[which] is None:
            found[which] = {"id": review["id"], "uid": review["uid"]}
    return found


def _signed_level(root: bytes, approvals: list[dict[str, Any]], original: str) -> int | None:
    """The level an approval signed under ``root`` and naming ``original`` decided (None: no such approval)."""
    for signed in approvals:
        try:
            payload = evidence.verify(
                evidence.SignedRecord(signed["kind"], signed["payload"], bytes(signed["signature"])), root
            )
        except LtcError:
            continue
        if payload.get("reviews") == original:
            level = payload.get("decided_level")
            return int(level if level is not None else payload["proposed_level"])
    return None


def settle(store: PgStore, root: bytes, review: dict[str, Any], content_hash_of: Callable[[Any], str]) -> None:
    """A 复评 just written approved (``review``: its incoming record, judged by ``replay``): supersede the original
    it replaced at another level — as the desktop does when one arrives — or, confirming it, move the original
    past the change cursor so that insurers read its link."""
    original_uid = review.get("reviews")
    if not original_uid or review["fields"]["status"] != Status.APPROVED:
        return
    original = store.assessment_by_uid(original_uid)
    if original is None:
        return
    level = original.decided_level if original.decided_level is not None else original.proposed_level
    if links(store, root, original_uid, level)["superseded_by"] is not None:
        store.mark_superseded(original_uid, content_hash_of)
    else:
        lifecycle.touch(store, original_uid)
