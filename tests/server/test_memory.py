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


def test_the_server_hands_over_to_a_bare_supervisor_after_migrating() -> None:
    """``ltc-assess server`` migrates, says so, then becomes (same process id) a supervisor that imports uvicorn and
    nothing of the CLI: about 25 MB instead of about 50 MB with two workers."""
    import signal
    from pathlib import Path

    from .conftest import fresh_database
    from .test_live_server import _free_port, _wait_listening

    with fresh_database() as conninfo:
        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "ltc_assess", "server", "--pg", conninfo, "--listen", f"127.0.0.1:{port}",
             "--workers", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        try:
            _wait_listening(port, proc)
            command = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
            status = Path(f"/proc/{proc.pid}/status").read_text().splitlines()
            rss_mb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _err = proc.communicate(timeout=30)
    assert command[1:3] == [b"-m", b"ltc_assess.server.serve"]
    assert rss_mb < 40, f"the supervisor holds {rss_mb:.0f} MB"
    assert "服务器数据库结构已迁移" in out.decode()  # said before the hand-over (flushed)
