"""The server's audit chain vouched for by its users, and ``server check``: the chain, the signed checkpoints
and every record's signed evidence (the lifecycle's signed records too), by the same rules as ``db check`` on a
desktop and ``bundle import`` (``integrity.checkpoint_problems``, ``replay.check_evidence``,
``lifecycle_records.recheck``).

Why users sign and not the server: a key the server holds is a key whoever runs the database holds too, and
could re-sign a rewritten history. A user's key never leaves their laptop; after each sync the client signs the
server's head it was shown, so a chain later cut short or recomputed no longer matches what users signed.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ltc_assess import evidence, replay
from ltc_assess.errors import AppError, ErrorCode, LtcError
from ltc_assess.i18n import _
from ltc_assess.lifecycle_records import recheck
from ltc_assess.server.auth import fingerprint
from ltc_assess.server.source import ServerFacts, ServerSource
from ltc_assess.service.integrity import checkpoint_problems
from ltc_assess.storage.pg import checkpoints, lifecycle
from ltc_assess.storage.pg.repository import ROOT_CERT, PgStore


def head(store: PgStore) -> dict[str, Any]:
    found = checkpoints.head(store)
    if found is None:
        raise AppError(ErrorCode.NOT_FOUND, _("审计日志为空"))
    return {"audit_id": found[0], "hash": found[1]}


def accept(store: PgStore, username: str, payload: str, signature_b64: str) -> dict[str, Any]:
    """Store ``username``'s signed checkpoint after checking it: their enrolled certificate under the agency root,
    naming an audit row that has exactly the signed hash."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise AppError(ErrorCode.SIGNATURE, _("signature：不是 base64 编码")) from None
    root = ServerSource(store).root_certificate()
    record = evidence.SignedRecord("checkpoint", payload, signature)
    signed = evidence.verify(record, root)
    if signed.get("signer") != username:
        raise AppError(
            ErrorCode.PERMISSION,
            _("检查点由 {signer!r} 签名，却由 {username} 发送").format(signer=signed.get("signer"), username=username),
        )
    from ltc_assess.signing.cms import detached_signer

    account = store.account(username)
    cert = fingerprint(detached_signer(payload.encode(), signature, [root]))
    if account is None or account["cert_sha256"] != cert or store.revoked(cert):
        raise AppError(ErrorCode.SIGNATURE, _("检查点的签名证书不是在本服务器登记的证书"))
    audit_id = signed.get("audit_id")
    if not isinstance(audit_id, int) or checkpoints.hash_at(store, audit_id) != signed.get("hash"):
        raise AppError(ErrorCode.CONFLICT, _("审计记录 {audit_id} 的哈希值与签名的不符").format(audit_id=audit_id))
    return {"id": checkpoints.add(store, audit_id, payload, signature, username), "audit_id": audit_id}


def problems(store: PgStore) -> list[str]:
    """Everything ``server check`` finds, one line each: what ``db check`` asks of a desktop's database, asked of
    the server's (triggers, the audit chain and its signed checkpoints, every record against its evidence)."""
    from ltc_assess.storage.pg.migrations import TRIGGERS

    found = [
        _("表 {table} 上的触发器 {name} 缺失或被停用（被绕过服务器修改？）").format(name=name, table=TRIGGERS[name])
        for name in store.disabled_triggers(TRIGGERS)
    ]
    found += store.audit_problems()
    rows = checkpoints.rows(store)
    root = store.setting(ROOT_CERT)
    usernames = store.usernames()
    found += checkpoint_problems(
        rows, root.encode() if root else None, usernames, lambda i: checkpoints.hash_at(store, i)
    )
    found += _accounts(store)
    found += _columns(store)
    source = ServerSource(store)
    for uid in store.decided_uids():
        held = store.record(uid)
        try:
            replay.check_evidence(source, held["record"], None)  # type: ignore[index]
        except LtcError as exc:
            found.append(_("评估 {uid}：{reason}").format(uid=uid, reason=exc.message))
    facts = ServerFacts(store)
    for row in lifecycle.every(store):  # the signed lifecycle records, by the rule that let them in
        try:
            recheck(facts, root.encode() if root else b"", row)
        except LtcError as exc:
            found.append(
                _("评估 {uid} 的 {kind} 记录：{reason}").format(
                    uid=row["assessment_uid"], kind=row["kind"], reason=exc.message
                )
            )
    return found


def _accounts(store: PgStore) -> list[str]:
    """Each account against what its last enrolment recorded in the audit log: a role raised, a disabled flag
    cleared or a certificate swapped by SQL would open the review queue or a session to someone."""
    logged: dict[str, dict[str, Any]] = {}
    for row in store.enrolments():
        logged.update(row["data"].get("accounts", {}))
    found = []
    for account in store.accounts():
        name, last = account["username"], logged.get(account["username"])
        if last is None:
            why = _("被绕过服务器添加，或登记早于登记记录：请运行 server enrol")
            found.append(_("用户 {username}：不在审计日志的登记记录中（{why}）").format(username=name, why=why))
            continue
        for key in ("role", "disabled", "cert_sha256"):
            if account[key] != last[key]:
                found.append(
                    _("用户 {username}：{key} 为 {value!r}，但最近一次登记记录的是 {logged!r}").format(
                        username=name, key=key, value=account[key], logged=last[key]
                    )
                )
    return found


def _columns(store: PgStore) -> list[str]:
    """The columns the server selects and routes on (status, people) against the record they repeat:
    a status flipped by SQL would put a record into, or keep it out of, a review queue or an export."""
    found = []
    for row in store.record_columns():
        rec = row["record"]
        users = rec["users"]
        said = {
            "status": rec["fields"]["status"],
            "assessor1": users["assessor1_id"],
            "assessor2": users["assessor2_id"],
            "approved_by": users["approved_by"],
        }
        for column, value in said.items():
            if row[column] != value:
                found.append(
                    _("评估 {uid}：列 {column} 为 {value!r}，其记录为 {said!r}").format(
                        uid=row["uid"], column=column, value=row[column], said=value
                    )
                )
        if row["signed"] and said["status"] not in ("approved", "superseded"):  # approval is final: never undone
            found.append(
                _("评估 {uid}：有签名的批准记录，但其记录为 {said!r}").format(uid=row["uid"], said=said["status"])
            )
    return found
