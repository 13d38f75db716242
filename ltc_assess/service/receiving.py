"""This database as the receiving end of records made elsewhere: the reads the replay rules make of it."""

from __future__ import annotations

from ltc_assess.record_source import RecordSource
from ltc_assess.schema.model import FormDef
from ltc_assess.service.base import Manager
from ltc_assess.storage.store import Store


class Receiving(Manager, RecordSource):
    """``service.receiving``: what ``replay`` reads to judge a bundle or a sync page arriving here (the same
    rules judge records arriving at the office server, over its own store)."""

    def _records(self) -> Store:
        return self.store

    def root_certificate(self) -> bytes:
        return self.service.keys.root_certificate()

    def form(self, ref: str) -> FormDef:
        return self.service.form(ref)
