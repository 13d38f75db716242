"""Private files: whatever the app writes that holds personal data or keys is 0600 in a 0700 folder.

Health data and ID numbers are sensitive personal information (PIPL); other accounts on the machine must
not read the database, its logs, backups or exports. Writes that must never be half-done are atomic.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700; an existing folder is left as it is (it may be shared)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):  # mkdir(parents=True) would give the parents default modes
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
        with contextlib.suppress(OSError):
            os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def restrict(path: Path) -> None:
    """Make an existing file 0600 (best effort: some file systems have no modes)."""
    with contextlib.suppress(OSError):
        os.chmod(path, FILE_MODE)


def touch_private(path: Path) -> None:
    """Create ``path`` empty as 0600 if it is missing, so that what is written into it later is never public."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    restrict(path)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` atomically (temporary file, fsync, rename) as a 0600 file."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
