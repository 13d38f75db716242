"""Keeping a server worker's resident memory down (the issue's target: 400 MB for the whole server).

Why arenas: glibc's malloc gives each thread that allocates while another holds the lock an arena of its own,
up to 8 per core, and returns little of an arena's memory to the system. A worker runs its requests in a pool
of up to ``Limits.in_flight`` threads, and a signature check allocates megabytes (a report's PDF objects), so
under load every worker kept a dozen arenas of freed but resident memory. Two arenas serve the two
verifications a worker runs at once (``create_app(verifiers=2)``); the other threads mostly wait.

Why a fixed mmap threshold: glibc raises its threshold to the size of the largest block freed so far, so after
the first pushes every bundle, report and upload chunk (100 KB – 4 MB, all transient) came from the heap and left
it fragmented. Blocks of 128 KB and more are mapped and returned whole when freed (measured in process, 40
pushes on 10 threads: a worker grew 46 MB uncapped, 35 MB with two arenas, 23 MB with both).
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc malloc.h
ARENAS = 2
MMAP_THRESHOLD = 128 * 1024


def tune_malloc(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (effective for arenas made from now on: call it before the
    worker starts its threads) and fix its mmap threshold. False where the C library is not glibc (nothing to
    do there)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None or not hasattr(libc, "gnu_get_libc_version"):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas)) and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
