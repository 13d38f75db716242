"""After the decision, read: the visit, expert confirmations, conclusions, objections, care advice and choice.

The use cases that write these live in ``ltc_assess.lifecycle`` and write through ``work.lifecycle`` inside a
unit of work; what they (and the app's pages) read comes from here, never from the store itself.
"""

from __future__ import annotations

from typing import Any

from ltc_assess import conclusions
from ltc_assess.service.base import Manager
from ltc_assess.storage.lifecycle_store import LifecycleStore
from ltc_assess.storage.records import Assessment


class AfterDecision(Manager):
    """``service.after_decision``: reads of the after-the-decision tables and the rules built on them."""

    @property
    def _tables(self) -> LifecycleStore:
        return LifecycleStore(self.service.db)

    def visit_people(self, aid: int) -> list[dict[str, Any]]:
        """Who was on site, with their qualification, in check-in order."""
        return self._tables.visit_people(aid)

    def visit_checks(self, aid: int) -> dict[str, Any] | None:
        return self._tables.visit_checks(aid)

    def confirmations(self, aid: int) -> list[dict[str, Any]]:
        return self._tables.confirmations(aid)

    def conclusion(self, aid: int) -> dict[str, Any] | None:
        return self._tables.conclusion(aid)

    def conclusions(self, decided_from: str | None = None, decided_to: str | None = None) -> list[dict[str, Any]]:
        """Conclusions with their person and assessment, oldest decision first (optionally decided in a range)."""
        return self._tables.conclusions(decided_from, decided_to)

    def objection(self, objection_id: int) -> dict[str, Any]:
        return self._tables.objection(objection_id)

    def objections(self, aid: int) -> list[dict[str, Any]]:
        return self._tables.objections(aid)

    def objection_for_review(self, review_id: int) -> dict[str, Any] | None:
        """The objection a 复评 answers, None when ``review_id`` is no 复评."""
        return self._tables.objection_for_review(review_id)

    def reviewed_uid(self, aid: int) -> str | None:
        """The uid of the original that ``aid`` re-assessed as a 复评 (what its signed approval names), else None."""
        objection = self._tables.objection_for_review(aid)
        return None if objection is None else self.service.store.assessment(objection["assessment_id"]).uid

    def care_choice(self, aid: int) -> dict[str, Any] | None:
        return self._tables.care_choice(aid)

    def visited(self, record: Assessment) -> int:
        """The assessment whose visit counts for ``record`` (``conclusions.visited``)."""
        return conclusions.visited(self.store, record)

    def participants(self, record: Assessment) -> set[int]:
        """Everyone who took part in ``record`` (``conclusions.participants``)."""
        return conclusions.participants(self.store, record)

    def reviewed_advice(self, aid: int) -> list[str]:
        """The care advice as the assessor saved it, empty before review (``conclusions.reviewed_advice``)."""
        return conclusions.reviewed_advice(self.store, aid)
