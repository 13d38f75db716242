"""What every manager of the service shares: the service it belongs to and its store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ltc_assess.storage.store import Store

if TYPE_CHECKING:
    from ltc_assess.service.facade import AssessmentService


class Manager:
    """One concern of the service (Anki's collection managers); reaches the others through ``service``."""

    def __init__(self, service: AssessmentService) -> None:
        self.service = service

    @property
    def store(self) -> Store:
        return self.service.store
