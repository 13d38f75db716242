"""Requests that wait for their push's outcome (long polling), woken when any server process records it.

Why: a laptop asks for its push's outcome until the push is verified. With 100 laptops pushing and pushes queued
for seconds, short polls (each one TLS, authentication and a query) became a large share of the server's work.
A request may now wait up to ``wait`` seconds: the transaction that records an outcome also notifies (PostgreSQL
NOTIFY, delivered at commit to every server process), and one listener thread per process wakes the requests
waiting for that push. With the listener down (the database away) a waiting request answers at the end of its
wait, as it stands.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import anyio

from ltc_assess.storage.pg import pushes

log = logging.getLogger(__name__)
MAX_WAIT = 20.0  # seconds a request may wait; below the client's read timeout


class PushWaiters:
    """The requests of this process waiting for pushes, by push id."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.lock = threading.Lock()
        self.waiting: dict[int, set[asyncio.Future[None]]] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._listen, name="push-waiters", daemon=True)

    def start(self) -> None:
        if self.conninfo:
            self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)

    async def until_done(self, push_id: int, seconds: float, look: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``look()`` (on a worker thread) now, and once more when the push is done or ``seconds`` have passed. The
        waiter is registered before the first look, so an outcome recorded in between is not missed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self.lock:
            self.waiting.setdefault(push_id, set()).add(done)
        try:
            found = await anyio.to_thread.run_sync(look)
            if found["state"] == "queued" and seconds > 0:
                await asyncio.wait({done}, timeout=min(seconds, MAX_WAIT))
                found = await anyio.to_thread.run_sync(look)
            return found
        finally:
            with self.lock:
                left = self.waiting.get(push_id, set())
                left.discard(done)
                if not left:
                    self.waiting.pop(push_id, None)

    def _listen(self) -> None:
        while not self.stopping.is_set():
            try:
                for push_id in pushes.finished(self.conninfo, self.stopping):
                    self._wake(push_id)
            except Exception:  # the database away: waiting requests answer at the end of their wait
                log.exception("the push listener lost its connection")
                self.stopping.wait(1.0)

    def _wake(self, push_id: int) -> None:
        with self.lock:
            futures = list(self.waiting.get(push_id, ()))
        for future in futures:
            future.get_loop().call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
