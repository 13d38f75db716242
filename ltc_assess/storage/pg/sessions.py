"""Login challenges and session tokens of the server (only hashes of tokens are stored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ltc_assess.storage.pg.repository import PgStore, now


def add_challenge(store: PgStore, nonce: str, username: str, expires: dt.datetime) -> None:
    store.con.execute("DELETE FROM challenges WHERE expires_at < %s", [now()])
    store.con.execute("INSERT INTO challenges VALUES (%s, %s, %s)", [nonce, username, expires])


def take_challenge(store: PgStore, nonce: str, username: str) -> bool:
    """Use up a live challenge; False when unknown, expired or already used."""
    used = store.con.execute(
        "DELETE FROM challenges WHERE nonce = %s AND username = %s AND expires_at >= %s RETURNING nonce",
        [nonce, username, now()],
    ).fetchone()
    return used is not None


def add_token(store: PgStore, token_sha256: str, user_id: int, expires: dt.datetime) -> None:
    store.con.execute("DELETE FROM tokens WHERE expires_at < %s", [now()])
    store.con.execute("INSERT INTO tokens VALUES (%s, %s, %s)", [token_sha256, user_id, expires])


def token_account(store: PgStore, token_sha256: str) -> dict[str, Any] | None:
    """The active account of a live token."""
    return store.one(
        "SELECT u.username, u.role FROM tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_sha256 = %s AND t.expires_at >= %s AND NOT u.disabled",
        [token_sha256, now()],
    )
