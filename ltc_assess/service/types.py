"""What the service's use cases take and give back, besides the stored records."""

from __future__ import annotations

from dataclasses import dataclass, field

from ltc_assess.schema.registry import default_form
from ltc_assess.scoring import ScoreResult
from ltc_assess.storage.records import Assessment
from ltc_assess.storage.work import Changes


@dataclass(frozen=True, slots=True)
class SaveResult:
    """An answer that is durably stored, with the live score it leads to."""

    changes: Changes
    score: ScoreResult
    saved_at: str


@dataclass(frozen=True, slots=True)
class ReviewView:
    """What a supervisor sees before deciding: the record, the previous one, what changed, what looks odd."""

    record: Assessment
    previous: Assessment | None
    changed_items: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(slots=True)
class NewAssessment:
    """What the assessor chooses when starting an assessment."""

    subject_id: int
    form: str = field(default_factory=default_form)  # forms/index.yaml
    reason: str = "first"
    assessment_date: str = ""
    place: str | None = None
    assessor2_id: int | None = None
    informant_name: str | None = None
    informant_relation: str | None = None
