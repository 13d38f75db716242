"""The server database as a ``record_source.RecordSource``: what ``replay`` needs to judge an incoming record."""

from __future__ import annotations

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.record_source import RecordSource
from ltc_assess.schema.model import FormDef
from ltc_assess.schema.registry import get_form
from ltc_assess.storage.pg.repository import ROOT_CERT, PgStore


class ServerSource(RecordSource):
    def __init__(self, store: PgStore) -> None:
        self.store = store

    def _records(self) -> PgStore:
        return self.store

    def root_certificate(self) -> bytes:
        cert = self.store.setting(ROOT_CERT)
        if cert is None:
            raise AppError(ErrorCode.NOT_FOUND, _("服务器尚无机构根证书（ltc-assess server enrol）"))
        return cert.encode()

    def form(self, ref: str) -> FormDef:
        return get_form(ref)
