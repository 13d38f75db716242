"""The server worker's malloc arena cap (``server.memory``) takes effect: threads started after it share the
capped arenas instead of getting one each (what kept freed verification memory resident in every worker)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

PROGRAM = """
import ctypes, ctypes.util, sys, threading
from ltc_assess.server.memory import limit_malloc_arenas
if sys.argv[1] == "capped":
    assert limit_malloc_arenas()
def work():
    kept = [bytearray(4096) for _ in range(200)]  # small blocks: from the thread's arena, not mmap
    done.wait()
done = threading.Event()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
ctypes.CDLL(ctypes.util.find_library("c")).malloc_stats()  # one "Arena N:" block per arena, on stderr
done.set()
for t in threads: t.join()
"""


def arenas(mode: str) -> int:
    run = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    return sum(line.startswith("Arena ") for line in run.stderr.splitlines())


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the cap is glibc's")
def test_threads_share_the_capped_arenas() -> None:
    assert arenas("uncapped") >= 5  # the main arena and one per thread (up to 8 per core)
    assert arenas("capped") == 2
