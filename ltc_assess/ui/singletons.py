"""Headroom on the reference counts of ``None``, ``True`` and ``False`` on Python 3.11.

PySide6/shiboken6 6.12.0 (abi3 wheels) return these singletons without taking a reference, as if they were
immortal (PEP 683, Python 3.12+): every ``SignalInstance.emit()``, ``connect()`` and ``disconnect()`` hands back
a borrowed ``True``, and every wrapped C++ method returning ``void`` a borrowed ``None``. On Python 3.11 each call
therefore lowers the count by one, and once it reaches zero the process aborts ("Fatal Python error:
bool_dealloc" / "none_dealloc"), at exit or mid-visit on a long day. The calls are everywhere in a Qt app, so
they cannot be avoided at their source: instead the three objects get the same treatment 3.12 gives them,
a count no leak can exhaust. Nothing to do on 3.12+, where they are immortal already. PySide6 6.11.3 does not
leak (2,000 emits and void calls leave the counts unchanged there, and abort the process on 6.12.0).
"""

from __future__ import annotations

import ctypes
import sys

HEADROOM = 1 << 40  # a leak of one per call would need 10**12 calls; far below Py_ssize_t's range

_pinned = False


def pin_singletons() -> None:
    """Give ``None``, ``True`` and ``False`` ``HEADROOM`` extra references, once per process (start-up)."""
    global _pinned
    if _pinned or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for singleton in (None, True, False):
        # ob_refcnt is an object's first field in CPython 3.11; adding to it is what Py_INCREF does.
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        refcount.value += HEADROOM
    _pinned = True
