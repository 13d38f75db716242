"""Each request is answered in the language its ``Accept-Language`` header asks for (zh or en), so a refusal
reaches a user in the language of their app; without the header, in the server's own language."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ltc_assess.i18n import accepted_language, speaking


class RequestLanguage:
    """ASGI middleware: ``_()`` speaks the request's language while the request is handled (its context only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
        lang = accepted_language(header)
        if lang is None:
            await self.app(scope, receive, send)
            return
        with speaking(lang):
            await self.app(scope, receive, send)
