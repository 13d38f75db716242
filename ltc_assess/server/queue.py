"""Pushes are acknowledged once durably stored and verified afterwards, by a few verifier threads per process.

Why: verifying a push (the bundle's CMS signature, the report's PAdES signatures, the signed submission record)
costs about 100 ms of CPU; 50 laptops pushing at once on 2 cores would each wait seconds for an answer. The
upload is already durable chunk by chunk, so ``enqueue`` checks only what is cheap (the upload complete, its
hash right) and answers with the push's entry. A verifier claims the entry, runs the same intake as before
(``intake.apply_bundle``: every signature, the workflow and role checks, the evidence rules) and records the
outcome in the transaction that applies it: a verifier killed half-way leaves the entry queued, never half done.
Refusals are said in the language of the request that queued the push.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from psycopg_pool import ConnectionPool

from ltc_assess.bundles import BundleRefused
from ltc_assess.errors import AppError, ErrorCode, LtcError
from ltc_assess.i18n import _, language, speaking
from ltc_assess.server import intake, uploads
from ltc_assess.server.limits import TooLarge
from ltc_assess.server.source import ServerSource
from ltc_assess.storage.pg import pushes as rows
from ltc_assess.storage.pg import uploads as upload_rows
from ltc_assess.storage.pg.repository import PgStore

log = logging.getLogger(__name__)
STATUS = {
    ErrorCode.AUTH: 401,
    ErrorCode.PERMISSION: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.TRANSITION: 409,
    ErrorCode.LOCKED: 409,
}
MAX_ATTEMPTS = 3  # verifications broken off by an unexpected error before the push is refused as unprocessable
IDLE_SECONDS = 0.25  # how often an idle verifier looks for pushes queued by another process


def status_of(exc: LtcError) -> int:
    """The HTTP status this error is answered with (a refusal found later is told with the status it would have
    had, so that the client reports it as before)."""
    if isinstance(exc, TooLarge):
        return 413
    return STATUS.get(exc.code, 422) if isinstance(exc, AppError) else 422


def view(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as the API shows it to the user who pushed it."""
    outcome = entry["outcome"] or {}
    applied = entry["state"] == "applied"
    return {
        "id": entry["id"],
        "sha256": entry["sha256"],
        "state": entry["state"],
        "queued_at": entry["queued_at"],
        "done_at": entry["done_at"],
        "result": outcome if applied else None,
        "error": None if applied else outcome.get("error"),
        "refusals": [] if applied else outcome.get("refusals", []),
        "status": None if applied else outcome.get("status"),
    }


def enqueue(store: PgStore, sha256: str, username: str) -> dict[str, Any]:
    """Queue a complete upload (idempotent: asked again, the same entry). Returns the upload's state with its
    push; an upload whose bytes do not hash to its name is emptied and comes back with ``received`` 0."""
    entry = rows.by_sha(store, sha256)  # not locked: does not wait for a verifier holding the entry
    found = uploads.state(store, sha256, lock=entry is None)  # two first applies: one after the other
    entry = entry or rows.by_sha(store, sha256)
    if entry is not None:
        if entry["username"] != username:
            raise AppError(ErrorCode.CONFLICT, _("上传 {upload} 已由另一用户推送").format(upload=sha256[:12]))
        return found | {"push": view(entry)}
    if found["received"] != found["size"]:
        raise AppError(
            ErrorCode.CONFLICT,
            _("上传 {upload} 尚未完成（{received}/{size}）").format(
                upload=sha256[:12], received=found["received"], size=found["size"]
            ),
        )
    if hashlib.sha256(upload_rows.content(store, sha256)).hexdigest() != sha256:
        upload_rows.reset(store, sha256)
        return found | {"received": 0, "push": None}  # the client sends it again
    return found | {"push": view(rows.enqueue(store, sha256, username, language()))}


def with_push(store: PgStore, found: dict[str, Any], username: str) -> dict[str, Any]:
    """An upload's state with the caller's push of it, if queued: a client pushing a bundle again learns where
    it stands without sending a byte."""
    entry = rows.by_sha(store, found["sha256"])
    return found | {"push": view(entry) if entry is not None and entry["username"] == username else None}


def push_state(store: PgStore, push_id: int, username: str) -> dict[str, Any]:
    """A push's state and outcome, for the user who pushed it only (to anybody else it does not exist)."""
    entry = rows.by_id(store, push_id)
    if entry is None or entry["username"] != username:
        raise AppError(ErrorCode.NOT_FOUND, _("没有推送 {push}").format(push=push_id))
    return view(entry)


def verify_next(pool: ConnectionPool, max_records: int) -> bool:
    """Claim the oldest pushable entry, verify and apply it, record its outcome, all in one transaction; False
    when nothing is waiting. An unexpected error rolls it all back and is counted against the entry."""
    claimed: list[int] = []
    try:
        with pool.connection() as con, con.transaction():
            store = PgStore(con)
            entry = rows.claim(store)
            if entry is None:
                return False
            claimed.append(entry["id"])
            with speaking(entry["language"]):
                state, outcome = _verify(store, entry, max_records)
            rows.finish(store, entry["id"], state, outcome)
        return True
    except Exception:
        if not claimed:
            raise
        log.exception("verifying push %s broke off", claimed[0])
        _count_failure(pool, claimed[0])
        return True


def _verify(store: PgStore, entry: dict[str, Any], max_records: int) -> tuple[str, dict[str, Any]]:
    data = upload_rows.content(store, entry["sha256"])
    try:
        with store.con.transaction():  # a savepoint: a refused push leaves nothing behind but its outcome
            return "applied", intake.apply_bundle(ServerSource(store), data, entry["username"], max_records)
    except BundleRefused as exc:
        return "refused", {"error": exc.message, "refusals": exc.refusals, "status": 422}
    except LtcError as exc:
        return "refused", {"error": exc.message, "refusals": [], "status": status_of(exc)}


def _count_failure(pool: ConnectionPool, push_id: int) -> None:
    with pool.connection() as con, con.transaction():
        store = PgStore(con)
        if rows.failed(store, push_id) >= MAX_ATTEMPTS:
            entry = rows.by_id(store, push_id)
            with speaking(entry["language"] if entry else language()):
                error = _("服务器无法处理此数据包（已尝试 {attempts} 次）").format(attempts=MAX_ATTEMPTS)
            rows.finish(store, push_id, "refused", {"error": error, "refusals": [], "status": 422})


class Verifiers:
    """``count`` threads that verify queued pushes: at most ``count`` verifications at once in this process (they
    are CPU work under one GIL), while logins, chunks and pulls are answered meanwhile."""

    def __init__(self, pool: ConnectionPool, count: int, max_records: int) -> None:
        self.pool = pool
        self.max_records = max_records
        self.stopping = threading.Event()
        self.work = threading.Event()
        self.threads = [threading.Thread(target=self._run, name=f"verifier-{n}", daemon=True) for n in range(count)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wake(self) -> None:
        """A push was queued here: look now rather than at the next idle poll."""
        self.work.set()

    def stop(self) -> None:
        """Let each verifier finish the push it holds (or leave it queued: its transaction rolls back)."""
        self.stopping.set()
        self.work.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = verify_next(self.pool, self.max_records)
            except Exception:  # the database away or the pool exhausted: the entries stay queued
                log.exception("a verifier could not reach the push queue")
                busy = False
                self.stopping.wait(1.0)
            if not busy:
                self.work.wait(IDLE_SECONDS)
                self.work.clear()
