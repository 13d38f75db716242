"""Who is calling: a signed challenge exchanged for a short-lived session token.

Why not mutual TLS: uvicorn checks a client certificate but does not tell the application whose it was, so the
server could not apply roles. Why not a signature on every request: a CMS check costs milliseconds and bodies
(bundles) are large and resumable. So a client asks for a one-time nonce, signs a small login statement with the
user's agency key (the same key that signs reports and bundles), and gets a random token valid for
``TOKEN_MINUTES``. The agency root is the only trust anchor; the certificate must be the one enrolled for that
user (a replaced one is revoked); a disabled user's tokens stop working at once (checked on every request).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.server.protocol import AUDIENCE, login_statement
from ltc_assess.storage.pg import sessions
from ltc_assess.storage.pg.repository import PgStore, now

CHALLENGE_SECONDS = 120
TOKEN_MINUTES = 15


def fingerprint(cert_pem: bytes) -> str:
    """SHA-256 of a certificate's DER (independent of PEM line breaks)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def challenge(store: PgStore, username: str) -> dict[str, Any]:
    """A fresh nonce, for any name (the answer does not reveal whether the user exists)."""
    nonce = secrets.token_hex(16)
    expires = now() + dt.timedelta(seconds=CHALLENGE_SECONDS)
    sessions.add_challenge(store, nonce, username, expires)
    return {"nonce": nonce, "audience": AUDIENCE, "expires_at": expires.isoformat()}


def exchange(store: PgStore, root_pem: bytes, statement: str, signature: bytes) -> dict[str, Any]:
    """A session token for a valid signed login statement; AppError(AUTH) for anything else, one message."""
    from ltc_assess.signing.cms import detached_signer
    from ltc_assess.signing.keys import subject_fields

    refused = AppError(ErrorCode.AUTH, _("登录被拒绝"))
    try:
        claims = json.loads(statement)
        username, nonce = claims["username"], claims["nonce"]
    except (ValueError, KeyError, TypeError):
        raise refused from None
    if not isinstance(username, str) or not isinstance(nonce, str):
        raise refused
    if statement.encode() != login_statement(username, nonce):
        raise refused
    if not sessions.take_challenge(store, nonce, username):  # a captured statement cannot be replayed
        raise refused
    try:
        cert = detached_signer(statement.encode(), signature, [root_pem])
    except AppError:
        raise refused from None
    account = store.account(username)
    sha = fingerprint(cert)
    if (
        account is None
        or account["disabled"]
        or subject_fields(cert)["username"] != username
        or account["cert_sha256"] != sha
        or store.revoked(sha)
    ):
        store.audit(username, "login.refused", "user", username, {})
        raise refused
    token = secrets.token_urlsafe(32)
    expires = now() + dt.timedelta(minutes=TOKEN_MINUTES)
    sessions.add_token(store, hashlib.sha256(token.encode()).hexdigest(), account["id"], expires)
    store.audit(username, "login", "user", username, {})
    return {"token": token, "role": account["role"], "expires_at": expires.isoformat()}


def session_user(store: PgStore, token: str) -> dict[str, Any]:
    """The active account a bearer token belongs to; AppError(AUTH) otherwise."""
    found = sessions.token_account(store, hashlib.sha256(token.encode()).hexdigest())
    if found is None:
        raise AppError(ErrorCode.AUTH, _("会话无效（请重新登录）"))
    return found
