"""Password sealing: a secret encrypted under a key derived from a password with argon2id (AES-256-GCM).

One primitive for every secret a password protects (the database key in its key slots, users' signing keys),
at the strength of the login hash, so no stored secret is cheaper to guess than the login itself.
The ``context`` is authenticated: a box sealed for one purpose or user cannot be moved to another.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# The login hasher's parameters (service._HASHER: argon2id, 19 MiB, t=2, p=1): guessing a sealed secret
# costs as much as guessing the login password.
TIME_COST = 2
MEMORY_KIB = 19 * 1024
PARALLELISM = 1
KDF = "argon2id"
_DUMMY_SALT = os.urandom(16)
_FLOOR = (TIME_COST, MEMORY_KIB, PARALLELISM)
_CEILING = (16, 1 << 19, 16)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def derive(password: str, salt: bytes, time_cost: int = TIME_COST, memory_kib: int = MEMORY_KIB,
           parallelism: int = PARALLELISM) -> bytes:
    """The 32-byte key-encryption key for ``password``."""
    return hash_secret_raw(
        password.encode("utf-8"), salt, time_cost, memory_kib, parallelism, hash_len=32, type=Type.ID
    )


def seal_with(kek: bytes, secret: bytes, context: str, kdf: dict[str, Any]) -> dict[str, Any]:
    """``secret`` under an already derived key, recording how that key was derived (``kdf``)."""
    nonce = os.urandom(12)
    box = AESGCM(kek).encrypt(nonce, secret, context.encode("utf-8"))
    return {"kdf": kdf, "nonce": _b64(nonce), "box": _b64(box)}


def seal(secret: bytes, password: str, context: str) -> dict[str, Any]:
    """``secret`` sealed with ``password`` (a fresh salt each time); JSON-ready."""
    salt = os.urandom(16)
    kdf = {"name": KDF, "salt": _b64(salt), "t": TIME_COST, "m": MEMORY_KIB, "p": PARALLELISM}
    return seal_with(derive(password, salt), secret, context, kdf)


def unseal(sealed: Any, password: str, context: str) -> bytes | None:
    """The secret, or None for a wrong password, another context or a malformed box.

    Costs one derivation whatever the outcome (a malformed box derives with a dummy salt), so the time
    taken does not tell a missing or broken box from a wrong password.
    """
    try:
        kdf = sealed["kdf"]
        if kdf["name"] != KDF:
            raise ValueError("unknown KDF")
        salt, nonce, box = _unb64(kdf["salt"]), _unb64(sealed["nonce"]), _unb64(sealed["box"])
        params = (int(kdf["t"]), int(kdf["m"]), int(kdf["p"]))
        if not all(low <= v <= high for v, low, high in zip(params, _FLOOR, _CEILING, strict=True)):
            raise ValueError("KDF parameters out of bounds")  # weaker than a login, or a memory bomb
        kek = derive(password, salt, *params)
    except (KeyError, TypeError, ValueError):
        burn(password)
        return None
    try:
        return AESGCM(kek).decrypt(nonce, box, context.encode("utf-8"))
    except (InvalidTag, ValueError):
        return None


def burn(password: str) -> None:
    """One derivation for nothing: the same time for an unknown account as for a known one."""
    derive(password, _DUMMY_SALT)
