"""What client and server agree on without importing each other: the signed login statement."""

from __future__ import annotations

from ltc_assess.evidence import canonical

AUDIENCE = "ltc-assess-server"


def login_statement(username: str, nonce: str) -> bytes:
    """What the client signs with the user's agency key to open a session."""
    return canonical({"kind": "login", "audience": AUDIENCE, "username": username, "nonce": nonce}).encode()
