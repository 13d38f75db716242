"""Use cases after the decision: the city, the on-site visit, expert confirmation, care advice, 公示, objection
and 复评, status reviews, the due list and the 告知书.

``Lifecycle`` wraps an ``AssessmentService`` (same database, same role checks and audit chain); the checks
that must hold at submission and approval run inside the service itself (``ltc_assess.conclusions``).
"""

from __future__ import annotations

from ltc_assess.lifecycle.due import DUE_LABELS, DueCases, DueEntry
from ltc_assess.lifecycle.letters import LetterCases
from ltc_assess.lifecycle.objection import mask_name
from ltc_assess.lifecycle.visit import VisitCases


class Lifecycle(VisitCases, DueCases, LetterCases):
    """The after-the-decision use cases over one service (each group in its own module)."""


__all__ = ["DUE_LABELS", "DueEntry", "Lifecycle", "mask_name"]
