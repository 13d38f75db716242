"""What forms and city policies share as definitions read from files: the file's SHA-256 (which records pin, so
that a changed file is never mistaken for the one an assessment was made with) and where it was read."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, PrivateAttr


class FromFile(BaseModel):
    """A definition loaded from a file; its loader calls ``read_from`` once, after validation."""

    _sha256: str = PrivateAttr(default="")
    _path: str = PrivateAttr(default="")

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def path(self) -> str:
        return self._path

    def read_from(self, data: bytes, display: str) -> None:
        """Note the bytes and the file (as shown in messages) this definition was read from."""
        self._sha256 = hashlib.sha256(data).hexdigest()
        self._path = display
