"""Password rules beyond length: refuse the common passwords (a list shipped in resources) and the username.

Why: an account's password seals the database key; a password on every breach list, or the username itself,
is guessed first by anyone holding a copy of the database.
"""

from __future__ import annotations

import functools

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
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


def check_password(password: str, username: str) -> None:
    """The one rule for login passwords, for new accounts and resets alike."""
    if len(password) < 8:
        raise AppError(ErrorCode.INVALID, _("密码至少需要8个字符"), where="password")
    if is_weak(password, username):
        raise AppError(ErrorCode.INVALID, _("密码太常见或与用户名相同，请另选"), where="password")
