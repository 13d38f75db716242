"""The server worker's malloc settings (``server.memory``) take effect: threads started after them share the
capped arenas instead of getting one each (what kept freed verification memory resident in every worker)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

PROGRAM = """
import ctypes, ctypes.util, sys, threading
from ltc_assess.server.memory import tune_malloc
if sys.argv[1] == "capped":
    assert tune_malloc()
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


MAPPED = """
import ctypes, ctypes.util, sys
from ltc_assess.server.memory import tune_malloc
if sys.argv[1] == "capped":
    assert tune_malloc()
class Info(ctypes.Structure):  # glibc's struct mallinfo2
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.mallinfo2.restype = Info
block = bytearray(1 << 20)
del block  # glibc now takes blocks of this size from the heap, unless the threshold is fixed
block = bytearray(1 << 20)
print(libc.mallinfo2().hblkhd)  # bytes in mapped blocks
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the threshold is glibc's")
def test_large_transient_blocks_stay_mapped() -> None:
    def mapped(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", MAPPED, mode], capture_output=True, text=True, check=True)
        return int(run.stdout)

    assert mapped("uncapped") < 1 << 20  # the second megabyte came from the heap
    assert mapped("capped") >= 1 << 20  # mapped: unmapped again when freed
