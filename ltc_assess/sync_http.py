"""HTTPS to the office server: login with the user's agency key, resumable uploads, pushes and their outcome.

The server acknowledges a push once it holds the bundle and verifies it afterwards (``server.queue``); ``push``
waits a bounded time for the outcome and says it as the server would have said it at once.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
import time
from pathlib import Path
from typing import Any

import httpx

from ltc_assess.bundles import BundleRefused
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _, header_language

CHUNK = 1024 * 1024
BUSY_RETRIES = 5
PROBE_SECONDS = 3.0
LONG_POLL = 10.0  # seconds the server may hold one ask for a push's outcome
PUSH_WAIT = 120.0  # seconds a sync waits for its pushes to be verified; later, their outcome comes next sync


class ServerClient:
    """HTTPS to the office server, trusting only the agency root (the server's certificate is issued by it)."""

    def __init__(self, url: str, root_pem: bytes, transport: httpx.BaseTransport | None = None) -> None:
        context = ssl.create_default_context(cadata=root_pem.decode())
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, verify=context, transport=transport, timeout=120)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in range(BUSY_RETRIES + 1):
            try:
                headers = {"Accept-Language": header_language(), **kwargs.get("headers", {})}  # refusals: the user's
                answer = self.http.request(method, path, **{**kwargs, "headers": headers})  # language
            except httpx.HTTPError as exc:
                if isinstance(exc, httpx.RemoteProtocolError) and attempt < BUSY_RETRIES:
                    continue  # a kept-alive connection the server closed just then; every request may be repeated
                why = type(exc).__name__
                raise AppError(
                    ErrorCode.NOT_FOUND, _("服务器 {url} 无应答（{why}）").format(url=self.url, why=why)
                ) from None
            if answer.status_code != 503 or attempt == BUSY_RETRIES:
                break
            time.sleep(min(float(answer.headers.get("Retry-After", "1")), 30.0))  # busy: it did nothing, ask again
        if answer.status_code == 422 and answer.json().get("refusals"):
            raise BundleRefused(Path(path), answer.json()["refusals"])
        if answer.status_code >= 400:
            try:
                message = answer.json().get("error") or answer.text
            except ValueError:
                message = answer.text
            raise AppError(
                _code(answer.status_code), _("服务器：{message}").format(message=message), where=f"{method} {path}"
            )
        if answer.headers.get("content-type", "").startswith("application/json"):
            return answer.json()
        return answer.content

    def answers(self) -> bool:
        """A cheap probe: does a server that proves itself with the agency's certificate answer at all?"""
        try:
            self.http.get("/api/v1/", timeout=PROBE_SECONDS)  # any HTTP answer (a 404 too) will do
        except httpx.HTTPError:
            return False
        return True

    def login(self, username: str, cert_pem: bytes, key_pem: bytes, password: str, root_pem: bytes) -> str:
        """Sign the server's challenge with the user's agency key; keeps and returns the session token."""
        from ltc_assess.server.protocol import login_statement
        from ltc_assess.signing.cms import sign_detached
        from ltc_assess.signing.keys import KeyPair

        nonce = self.call("POST", "/api/v1/auth/challenge", json={"username": username})["nonce"]
        statement = login_statement(username, nonce)
        signature = sign_detached(statement, KeyPair(cert_pem, key_pem), password, [root_pem])
        token = self.call(
            "POST",
            "/api/v1/auth/token",
            json={"statement": statement.decode(), "signature": base64.b64encode(signature).decode()},
        )["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"
        return str(token)

    def send(self, path: Path, chunk: int = CHUNK) -> dict[str, Any]:
        """Upload a bundle file (resuming where the server stands) and have it queued; returns its push. A bundle
        queued before is not sent again: the server names it by its SHA-256 and answers with its push."""
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        state = self.call("POST", "/api/v1/uploads", json={"sha256": sha, "size": len(data)})
        while state.get("push") is None:
            if state["received"] < len(data):
                start = state["received"]
                state = self.call(
                    "PATCH",
                    f"/api/v1/uploads/{sha}",
                    content=data[start : start + chunk],
                    headers={"Upload-Offset": str(start), "Content-Type": "application/octet-stream"},
                )
            else:
                state = self.call("POST", f"/api/v1/uploads/{sha}/apply")
        return dict(state["push"])

    def outcome(self, push: dict[str, Any], until: float) -> dict[str, Any]:
        """The push once verified, or as it stands when the clock (``time.monotonic``) reaches ``until``."""
        while push["state"] == "queued" and (left := until - time.monotonic()) > 0:
            wait = round(min(left, LONG_POLL), 1)  # the server holds the ask until the push is done or this passes
            asked = time.monotonic()
            push = self.call("GET", f"/api/v1/pushes/{push['id']}", params={"wait": wait})
            if push["state"] == "queued" and time.monotonic() - asked < wait / 2:  # a server that does not hold
                time.sleep(min(1.0, max(0.0, until - time.monotonic())))
        return push

    def push(self, path: Path, chunk: int = CHUNK, wait: float = PUSH_WAIT) -> dict[str, Any]:
        """Upload a bundle, have it verified and applied; returns the result (``settled``)."""
        return settled(self.outcome(self.send(path, chunk), time.monotonic() + wait))


class PushQueued(Exception):
    """The server holds the push but has not verified it yet: its outcome comes with a later sync."""

    def __init__(self, push: dict[str, Any]) -> None:
        self.push = push
        super().__init__(f"push {push['id']} queued")


def settled(push: dict[str, Any]) -> dict[str, Any]:
    """An applied push's result; a refused one raised as the server would have answered it at once
    (``BundleRefused`` with the reasons, else the server's error); ``PushQueued`` when not verified yet."""
    if push["state"] == "applied":
        return dict(push["result"])
    if push["state"] == "queued":
        raise PushQueued(push)
    where = f"POST /api/v1/uploads/{push['sha256']}/apply"
    if push["refusals"]:
        raise BundleRefused(Path(where), push["refusals"])
    raise AppError(_code(push["status"] or 422), _("服务器：{message}").format(message=push["error"]), where=where)


def _code(status: int) -> ErrorCode:
    return {401: ErrorCode.AUTH, 403: ErrorCode.PERMISSION, 409: ErrorCode.CONFLICT}.get(status, ErrorCode.INTEGRITY)
