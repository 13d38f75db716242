"""Password rules beyond length: refuse the common passwords (a list shipped in resources) and the username.

Why: an account's password seals the database key; a password on every breach list, or the username itself,
is guessed first by anyone holding a copy of the database.
"""

from __future__ import annotations

import functools

from ltc_assess.paths import resources_dir


@functools.cache
def common_passwords() -> frozenset[str]:
    path = resources_dir() / "security" / "common-passwords.txt"
    lines = (line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_weak(password: str, username: str) -> bool:
    """True for a listed password, the username (or it reversed), or one repeated character."""
    low, user = password.lower(), username.lower()
    return low in common_passwords() or low in (user, user[::-1]) or len(set(low)) <= 1
