"""How much one request may bring (body sizes, bundle size, records per push: clear 413 answers), and how many
requests are handled at once.

Why caps: every byte a client sends is held in memory and every record is verified (PAdES, CMS) inside one
transaction, so an unbounded push lets one account starve the others. The client splits its work to fit
(``sync_client`` pushes at most ``records_per_push`` records per bundle).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ltc_assess.errors import ErrorCode, LtcError

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    json_bytes: int = 256 * 1024  # a JSON request (logins, tasks): small
    chunk_bytes: int = 4 * MB  # one PATCH of an upload
    upload_bytes: int = 256 * MB  # one bundle file
    records_per_push: int = 200
    lifecycle_per_push: int = 1000  # signed lifecycle records (lifecycle.json): a few per decision
    in_flight: int = 150  # requests handled at once per process; more wait (asynchronously) for their turn


DEFAULT_LIMITS = Limits()


def size(n: int) -> str:
    """Bytes as people read them in an error: 300 MB, 256 KB."""
    return f"{n / MB:.0f} MB" if n >= MB else f"{n / 1024:.0f} KB"


class TooLarge(LtcError):
    """More than the server takes in one request (HTTP 413)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.INVALID, message)


class BodyLimit:
    """ASGI middleware: a request body over its limit is refused with 413 — at once when Content-Length says so,
    else as soon as the streamed bytes pass it (nothing more is read)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "PATCH" and scope["path"].startswith("/api/v1/uploads/")
        limit = self.limits.chunk_bytes if upload else self.limits.json_bytes
        what = "an upload chunk" if upload else "a request body"
        message = f"{what} may have at most {size(limit)}"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, message)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            event = await receive()
            seen += len(event.get("body", b""))
            if seen > limit:
                raise HTTPException(413, message)
            return event

        await self.app(scope, counted, send)


async def _refuse(send: Send, message: str) -> None:
    import json

    body = json.dumps({"error": message, "refusals": []}).encode()
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class InFlight:
    """ASGI middleware: at most ``limit`` requests at once; the rest wait without a thread.

    Why: a request's database connection is taken in one worker thread (FastAPI's dependency) and used in
    another (the handler). Were the thread pool ever exhausted, requests holding connections would wait for
    threads while threads wait for connections: the pool stalls for its 30 s timeout (it did, with 50 laptops at
    once). The thread pool is made larger than this limit, so a request never waits for a thread."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        import anyio

        self.app = app
        self.slots = anyio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.slots:
            await self.app(scope, receive, send)
