"""Sync with the office server: push this installation's changes as bundle files, pull what concerns its user.

Pushing writes the same signed bundle a USB stick would carry into an outbox next to the database (written in
``partial/``, moved out when complete), then uploads it resumably: the server names an upload by its SHA-256 and
says how many bytes it holds, so a sync cut off at any byte sends only the rest next time. A bundle leaves the
outbox only when the server has applied or refused it (idempotently: it remembers bundle ids). The server answers a
push once it holds it and verifies it afterwards; the client waits a bounded time for the outcome, and a push
still queued then stays in the outbox, so the next sync learns its outcome without sending it again. Pulling asks
for records changed after a cursor, replays them with the rules of ``bundle import`` and stores the cursor afterwards:
cut off before, the same records come again and change nothing. Tasks and task links travel with each sync.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ltc_assess import bundle_seal, incoming, lifecycle_exchange
from ltc_assess.bundle_records import content_hash
from ltc_assess.bundles import MAX_BUNDLE_BYTES, BundleRefused, apply_records, export_bundle, import_changes
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.service import AssessmentService
from ltc_assess.storage import tasks as task_store
from ltc_assess.storage.records import User
from ltc_assess.storage.work import Changes
from ltc_assess.sync_http import CHUNK, PUSH_WAIT, PushQueued, ServerClient, settled
from ltc_assess.workflow import Role

if TYPE_CHECKING:
    from ltc_assess.signing.keys import KeyPair

PAGE = 50
RECORDS_PER_PUSH = 100  # the server takes 200 by default (server.limits)
SERVER_URL = "sync_server_url"  # the office server this installation syncs with (set by the admin)


@dataclass(slots=True)
class SyncReport:
    pushed: list[dict[str, Any]] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)  # pushes the server holds, not verified yet: told next sync
    refused: list[str] = field(default_factory=list)
    pulled: int = 0
    conflicts: list[str] = field(default_factory=list)
    tasks: int = 0
    checkpoint: int | None = None  # the server's audit row this user vouched for at the end
    changes: Changes = field(default_factory=Changes)  # what the pull wrote here, so that open views refresh


def server_url(service: AssessmentService) -> str | None:
    """The office server set for this installation (copied with the database to laptops), or None."""
    return service.keys.setting(SERVER_URL) or None


def set_server_url(service: AssessmentService, admin: User, url: str | None) -> None:
    """Set (None: clear) the office server the app syncs with; the admin's, audited."""
    url = url.strip().rstrip("/") if url else None
    if url is not None and not url.startswith("https://"):
        raise AppError(ErrorCode.INVALID, _("服务器地址 {url!r}：必须以 https:// 开头").format(url=url))
    with service.unit_of_work(admin, Role.ADMIN) as work:
        work.store.set_setting(SERVER_URL, url or "")
        work.audit("sync.server_url", "setting", SERVER_URL, new={"url": url})


def server_answers(service: AssessmentService, url: str, transport: httpx.BaseTransport | None = None) -> bool:
    client = ServerClient(url, service.root_certificate(), transport)
    try:
        return client.answers()
    finally:
        client.close()


def outbox(service: AssessmentService) -> Path:
    box = service.path.parent / f"{service.path.name}.outbox"
    box.mkdir(mode=0o700, exist_ok=True)
    return box


def _partial(service: AssessmentService) -> Path:
    box = outbox(service) / "partial"
    box.mkdir(mode=0o700, exist_ok=True)
    return box


def recover_outbox(service: AssessmentService) -> None:
    """A bundle whose writing was cut off is complete only if it verifies; a fragment is dropped (its records
    were not yet marked as sent, so the next export carries them again)."""
    from ltc_assess.exchange.package import verify_package
    from ltc_assess.signing.cms import detached_signer

    root = service.root_certificate()
    for partial in sorted(_partial(service).glob("*.zip")):
        try:
            with bundle_seal.opened(service, partial, MAX_BUNDLE_BYTES) as inner:
                verify_package(inner, lambda data, sig: detached_signer(data, sig, [root]).decode(), MAX_BUNDLE_BYTES)
        except AppError:
            partial.unlink()
        else:
            partial.rename(outbox(service) / partial.name)


def has_changes(service: AssessmentService, actor: User | None = None) -> bool:
    """Whether a push has something to carry: a changed record, a signed lifecycle record not sent yet, or (by
    ``actor``) a lifecycle fact they may sign."""
    for row in service.list_assessments(limit=1_000_000):
        record = service.assessment(row["id"])
        if content_hash(service, record) != record.sync_hash:
            return True
    with service.unit_of_work() as work:
        return lifecycle_exchange.pending(work.store, actor)


def sync(
    service: AssessmentService,
    actor: User,
    password: str,
    url: str,
    transport: httpx.BaseTransport | None = None,
    chunk: int = CHUNK,
    held: KeyPair | None = None,
    wait: float = PUSH_WAIT,
) -> SyncReport:
    """One full sync: recover and push the outbox, pull changes, exchange tasks and task links.

    ``password`` opens the actor's stored key, or ``held``: their key as the app holds it for background syncs
    (``signing.keys.held_copy``), which must belong to their current certificate. The server verifies pushes
    after acknowledging them; the sync waits for their outcome up to ``wait`` seconds in all, and reports those
    still queued in ``queued`` (their bundles stay in the outbox: the next sync reports how they ended)."""
    actor = service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
    pair = service.keys.key_pair(actor.id)
    if pair is None:
        raise AppError(
            ErrorCode.SIGNATURE, _("{username} 没有签名证书（ltc-assess keys issue）").format(username=actor.username)
        )
    if held is not None:
        if held.cert_pem != pair.cert_pem:
            message = _("为 {username} 保存的密钥不是其当前的密钥").format(username=actor.username)
            raise AppError(ErrorCode.SIGNATURE, message)
        pair = held
    root = service.root_certificate()
    report = SyncReport()
    client = ServerClient(url, root, transport)
    try:
        client.login(actor.username, pair.cert_pem, pair.key_pem, password, root)
        _crl(service, actor, client, report)  # first, so that the replay below knows the revocations
        recover_outbox(service)
        batch = 0
        while has_changes(service, actor):  # bundles of at most RECORDS_PER_PUSH records (what the server takes)
            batch += 1  # in the name: pushed in the order written
            partial = _partial(service) / f"{service.now().replace(':', '')}-{batch:04d}-{uuid.uuid4().hex[:8]}.zip"
            export_bundle(service, actor, password, partial, limit=RECORDS_PER_PUSH, pair=pair)
            partial.rename(outbox(service) / partial.name)
        until = time.monotonic() + wait
        for path in sorted(outbox(service).glob("*.zip")):  # the server applies a user's pushes in this order
            try:
                result = settled(client.outcome(client.send(path, chunk), until))
            except PushQueued as queued:  # stays in the outbox: the next sync asks for its outcome (sends nothing)
                report.queued.append(queued.push["id"])
                continue
            except BundleRefused as refused:
                report.refused += refused.refusals
                (outbox(service) / "refused").mkdir(mode=0o700, exist_ok=True)
                path.rename(outbox(service) / "refused" / path.name)
                continue
            report.pushed.append(result)
            report.refused += result.get("refused", [])  # the server took the rest of this bundle
            path.unlink()
        _pull(service, actor, client, report)
        _tasks(service, client, report)
        report.checkpoint = _checkpoint(service, actor, pair, password, client)
    finally:
        client.close()
    return report


def _pull(service: AssessmentService, actor: User, client: ServerClient, report: SyncReport) -> None:
    key = f"sync_cursor:{client.url}"
    users = {u.username: u for u in service.users()}

    def signer_of(rec: dict[str, Any]) -> User:
        name = made_by[rec["uid"]]
        if name not in users:
            raise AppError(ErrorCode.PERMISSION, _("服务器称 {name!r} 修改了它，但此人不是本机用户").format(name=name))
        return users[name]

    while True:
        cursor = int(service.keys.setting(key) or 0)
        page = client.call("GET", "/api/v1/sync/changes", params={"since": cursor, "limit": PAGE})
        if not page["changes"]:
            return
        made_by = {c["record"]["uid"]: c["changed_by"] for c in page["changes"]}
        records = incoming.parse_records(json.dumps([c["record"] for c in page["changes"]]).encode(), client.url)
        summary = apply_records(
            service, actor, records, signer_of, f"sync-{uuid.uuid4().hex}", client.url, partial=True
        )
        report.pulled += len(summary.added) + len(summary.updated)
        report.changes = report.changes.merged(import_changes(service, summary))
        report.conflicts += summary.conflicts
        report.refused += summary.refused  # left out with the reason; the cursor moves on past them
        with service.unit_of_work() as work:
            work.store.set_setting(key, str(page["cursor"]))
        if not page["more"]:
            break
    _pull_lifecycle(service, actor, client, report)


def _pull_lifecycle(service: AssessmentService, actor: User, client: ServerClient, report: SyncReport) -> None:
    """Signed lifecycle records after the records they speak of, judged as ``bundle import`` judges them."""
    key = f"sync_lifecycle_cursor:{client.url}"
    while True:
        cursor = int(service.keys.setting(key) or 0)
        page = client.call("GET", "/api/v1/sync/lifecycle", params={"since": cursor, "limit": PAGE})
        if page["records"]:
            records = [{k: v for k, v in r.items() if k != "cursor"} for r in page["records"]]
            items = incoming.parse_lifecycle(json.dumps(records).encode(), client.url)
            summary = apply_records(
                service, actor, [], lambda _r: actor, f"sync-{uuid.uuid4().hex}", client.url, partial=True,
                lifecycle=items,
            )  # fmt: skip
            report.pulled += len(summary.lifecycle)
            report.changes = report.changes.merged(import_changes(service, summary))
            report.refused += summary.refused
        with service.unit_of_work() as work:
            work.store.set_setting(key, str(page["cursor"]))
        if not page["more"]:
            return


def _crl(service: AssessmentService, actor: User, client: ServerClient, report: SyncReport) -> None:
    """The server's newest CRL, taken as a bundle's is: only if the agency root signed it and it is newer."""
    pem = client.call("GET", "/api/v1/sync/crl")
    if pem:
        try:
            service.pki.take_crl(actor.id, pem if isinstance(pem, bytes) else str(pem).encode(), "sync.crl")
        except AppError as exc:
            report.refused.append(_("服务器的吊销列表（CRL）：{error}").format(error=exc.message))
    ours = service.pki.current_crl()
    if ours is not None and ours != pem:  # ours may be newer (the office issued it): the server keeps the newest
        client.call("POST", "/api/v1/sync/crl", content=ours, headers={"Content-Type": "application/x-pem-file"})


def _tasks(service: AssessmentService, client: ServerClient, report: SyncReport) -> None:
    for task_uid, assessment_uid in service.queries.unsent_task_links():
        try:
            client.call("POST", f"/api/v1/tasks/{task_uid}/link", json={"assessment_uid": assessment_uid})
        except AppError as exc:  # not pushed yet (a draft is pushed too, so this is rare): next time
            if exc.code != ErrorCode.NOT_FOUND:
                raise
    tasks = client.call("GET", "/api/v1/sync/tasks")
    with service.unit_of_work() as work:
        task_store.put_tasks(work.store.db, tasks)
    report.tasks = len(tasks)


def _checkpoint(service: AssessmentService, actor: User, pair: KeyPair, password: str, client: ServerClient) -> int:
    """Sign the server's audit head as this sync leaves it (``server check`` holds the chain to it)."""
    from ltc_assess import evidence
    from ltc_assess.service.attestation import checkpoint_payload
    from ltc_assess.signing.cms import sign_detached

    head = client.call("GET", "/api/v1/audit/head")
    root = service.root_certificate()
    payload = checkpoint_payload(head["audit_id"], head["hash"], service.now(), actor.username)
    record = evidence.sign("checkpoint", payload, lambda data: sign_detached(data, pair, password, [root]))
    signature = base64.b64encode(record.signature).decode()
    client.call("POST", "/api/v1/audit/checkpoints", json={"payload": record.payload, "signature": signature})
    return int(head["audit_id"])
