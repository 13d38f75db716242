"""Keeping a server worker's resident memory down (the issue's target: 400 MB for the whole server).

Why arenas: glibc's malloc gives each thread that allocates while another holds the lock an arena of its own,
up to 8 per core, and returns little of an arena's memory to the system. A worker runs its requests in a pool
of up to ``Limits.in_flight`` threads, and a signature check allocates megabytes (a report's PDF objects), so
under load every worker kept a dozen arenas of freed but resident memory. Two arenas serve the two
verifications a worker runs at once (``create_app(verifiers=2)``); the other threads mostly wait.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # glibc malloc.h
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (effective for arenas made from now on: call it before the
    worker starts its threads). False where the C library is not glibc (nothing to do there)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None or not hasattr(libc, "gnu_get_libc_version"):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
