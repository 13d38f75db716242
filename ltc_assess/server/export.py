"""``ltc-assess export --pg URL``: the insurer package built from the office server's PostgreSQL by the same
exporter as a desktop's (``service.export``), signed on the exporting desktop with the user's own key.

Why the desktop signs and not the server: the server holds no user's key (whoever runs the database would hold
it too). The exporter must be a supervisor or admin both here and on the server, with the certificate the server
has enrolled. Each record is checked against its signed evidence before it goes in; a record edited in PostgreSQL
stops the export, named. The manifest carries the exporter's signed checkpoint of the server's audit chain (kept
on the server, as a sync's is), and the export is logged in both audit chains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ltc_assess import evidence
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.server.auth import fingerprint
from ltc_assess.server.source import ServerSource
from ltc_assess.service import AssessmentService
from ltc_assess.service.attestation import checkpoint_payload
from ltc_assess.service.export import package_files, sign_package, signer
from ltc_assess.service.keys import AGENCY
from ltc_assess.signing.ltv import document_timestamp
from ltc_assess.storage.pg import checkpoints
from ltc_assess.storage.pg.repository import PgStore
from ltc_assess.storage.records import User
from ltc_assess.workflow import Role


def export_from_server(
    service: AssessmentService,
    actor: User,
    password: str,
    store: PgStore,
    out: Path,
    period: tuple[str, str],
    insurer: str | None = None,
) -> dict[str, Any]:
    """Write the signed package of the server's approved assessments dated ``period`` (from, to)."""
    actor = service.active_actor(actor, Role.SUPERVISOR, Role.ADMIN)
    by = signer(service, actor, password)
    ltv = service.pki.ltv()
    source = ServerSource(store, (lambda pdf: document_timestamp(pdf, ltv)) if ltv is not None else None)
    if fingerprint(source.root_certificate()) != fingerprint(by.root):
        raise AppError(ErrorCode.CONFLICT, _("服务器使用的机构根证书与本机不同"))
    account = store.account(actor.username)
    if (
        account is None
        or account["disabled"]
        or account["role"] not in (Role.SUPERVISOR, Role.ADMIN)
        or account["cert_sha256"] != fingerprint(by.pair.cert_pem)
        or store.revoked(account["cert_sha256"])
    ):
        why = _("{username} 在服务器上不是使用此证书的审核员或管理员（ltc-assess server enrol）")
        raise AppError(ErrorCode.PERMISSION, why.format(username=actor.username))
    files, entries = package_files(source, *period)
    at = service.now()
    checkpoint = None
    head = checkpoints.head(store)
    if head is not None:
        signed = evidence.sign("checkpoint", checkpoint_payload(head[0], head[1], at, actor.username), by.sign)
        checkpoints.add(store, head[0], signed.payload, signed.signature, actor.username)
        checkpoint = {"payload": signed.payload, "signature": signed.signature.hex()}
    about = {
        "agency": service.keys.setting(AGENCY),
        "insurer": insurer,
        "exported_at": at,
        "period": period,
        "audit_checkpoint": checkpoint,
    }
    manifest = sign_package(out, files, entries, by, about)
    new = {"insurer": insurer, "period": list(period), "assessments": [e["id"] for e in entries], "server": True}
    store.audit(actor.username, "export.package", "export", str(out), new)
    with service.unit_of_work(actor) as work:  # who took personal data out through this desktop
        work.audit("export.package", "export", str(out), new=new, at=at)
    return manifest
