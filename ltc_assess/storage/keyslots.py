"""Key slots: the one random database key, sealed for each user with their password, beside the database.

Why beside it (``<db>.keys``, JSON, 0600, replaced atomically): the users table is inside the encrypted file,
so what unlocks it must be readable before it is open. A slot holds nothing in the clear; editing or deleting
slots can deny access but never grant it, and login still checks the account inside the database.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.files import write_private
from ltc_assess.i18n import _
from ltc_assess.signing import sealing

FORMAT = "ltc-assess-keyslots"
VERSION = 1


def slots_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".keys")


def _context(username: str) -> str:
    return f"ltc-assess database key|{username}"


@dataclass
class KeySlots:
    """The slots of one database file, keyed by username."""

    path: Path
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, db_path: Path) -> KeySlots | None:
        """The database's slots; None when it has none (a plain, unencrypted database)."""
        path = slots_path(Path(db_path))
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            message = _("{path}：无法读取的密钥槽文件（{exc}）").format(path=path, exc=exc)
            raise AppError(ErrorCode.INTEGRITY, message) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("slots"), dict):
            raise AppError(ErrorCode.INTEGRITY, _("{path}：不是 ltc-assess 密钥槽文件").format(path=path))
        return cls(path, {str(k): v for k, v in data["slots"].items() if isinstance(v, dict)})

    def unlock(self, username: str, password: str) -> bytes | None:
        """The database key if ``password`` opens ``username``'s slot (one argon2id derivation in every case)."""
        return sealing.unseal(self.slots.get(username), password, _context(username))

    def put(self, username: str, password: str, key: bytes) -> None:
        self.slots[username] = sealing.seal(key, password, _context(username))

    def put_from_login_hash(self, username: str, password_hash: str, key: bytes) -> None:
        """A slot for a user whose password is unknown here (encrypting an existing database): its key is the
        argon2id output stored in their login hash, which the password reproduces. It is replaced by a slot with
        a salt of its own at the user's first login (``legacy``), since the hash was stored in the plain file."""
        _empty, variant, _version, params, salt, digest = password_hash.split("$")
        values = dict(p.split("=") for p in params.split(","))
        if variant != "argon2id":
            raise AppError(ErrorCode.INVALID, _("{username}：密码哈希不是 argon2id").format(username=username))
        kdf = {"name": sealing.KDF, "salt": _pad(salt), "t": int(values["t"]), "m": int(values["m"]),
               "p": int(values["p"])}
        self.slots[username] = {**sealing.seal_with(base64.b64decode(_pad(digest)), key, _context(username), kdf),
                                "legacy": True}

    def is_legacy(self, username: str) -> bool:
        return bool(self.slots.get(username, {}).get("legacy"))

    def remove(self, username: str) -> None:
        self.slots.pop(username, None)

    def save(self) -> None:
        data = {"format": FORMAT, "version": VERSION, "slots": self.slots}
        write_private(self.path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


def _pad(b64: str) -> str:
    """argon2 encodes without padding; the standard decoder wants it."""
    return b64 + "=" * (-len(b64) % 4)
