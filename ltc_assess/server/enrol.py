"""Provisioning the server from the office database: the agency root, the users and their certificates.

The office desktop stays where users and keys are managed (admin, ``keys issue``); ``server enrol`` copies the
public part to the server again after each change (a disabled user, a new certificate, which revokes the old).
Insurers get their own certificate from the agency root, with the role ``insurer``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ltc_assess.bundle_seal import TRANSPORT_CERT, TRANSPORT_KEY, write_private
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.server.auth import fingerprint
from ltc_assess.service import AssessmentService
from ltc_assess.signing import keys as signing_keys
from ltc_assess.storage.pg.repository import ROOT_CERT, PgStore
from ltc_assess.storage.records import User
from ltc_assess.workflow import Role


def enrol(service: AssessmentService, admin: User, store: PgStore) -> dict[str, Any]:
    """Copy root certificate, the transport key bundles are sealed to, and users (role, disabled, certificate)
    to the server; returns what was copied."""
    admin = service.active_actor(admin, Role.ADMIN)
    root = service.root_certificate()
    held = store.setting(ROOT_CERT)
    if held is not None and fingerprint(held.encode()) != fingerprint(root):
        raise AppError(ErrorCode.CONFLICT, _("本服务器已为另一机构根证书服务"))
    store.set_setting(ROOT_CERT, root.decode())
    for key in (TRANSPORT_CERT, TRANSPORT_KEY):  # the server opens the bundles sealed to the agency
        value = service.keys.setting(key)
        if value is None:
            raise AppError(ErrorCode.NOT_FOUND, _("办公室没有传输证书（ltc-assess keys init-transport）"))
        store.set_setting(key, value)
    names, accounts = [], {}
    for user in service.users():
        cert = service.keys.certificate(user.id)
        accounts[user.username] = {
            "role": user.role.value,
            "disabled": user.disabled,
            "cert_sha256": fingerprint(cert) if cert else None,
        }
        store.put_account(
            user.username,
            user.display_name,
            user.role.value,
            user.disabled,
            cert.decode() if cert else None,
            fingerprint(cert) if cert else None,
            user.qualification_no,
            user.qualification,
        )
        names.append(user.username)
    # each account as enrolled, so that server check finds a role or certificate changed by SQL afterwards
    store.audit(admin.username, "server.enrol", "users", None, {"users": names, "accounts": accounts})
    return {"users": names}


def enrol_insurer(
    service: AssessmentService,
    admin: User,
    store: PgStore,
    username: str,
    display_name: str,
    root_passphrase: str,
    password: str,
    out: Path,
) -> tuple[Path, Path]:
    """A certificate for an insurer's system, issued by the agency root; writes ``out``.pem (certificate) and
    ``out``.key (its key, encrypted with ``password``)."""
    admin = service.active_actor(admin, Role.ADMIN)
    if service.accounts.user_by_name(username) is not None:
        raise AppError(ErrorCode.CONFLICT, _("{username} 是业务流程用户，不是保险经办机构").format(username=username))
    pair = signing_keys.issue_user(
        service.keys.root(),
        root_passphrase,
        username=username,
        display_name=display_name,
        role="insurer",
        password=password,
        now=dt.datetime.fromisoformat(service.now()),
    )
    store.put_account(username, display_name, "insurer", False, pair.cert_pem.decode(), fingerprint(pair.cert_pem))
    account = {"role": "insurer", "disabled": False, "cert_sha256": fingerprint(pair.cert_pem)}
    store.audit(admin.username, "server.insurer", "user", username, {"accounts": {username: account}})
    with service.unit_of_work(admin, Role.ADMIN) as work:
        work.audit("keys.issue", "insurer", username, new={"username": username})
    cert_path, key_path = out.with_suffix(".pem"), out.with_suffix(".key")
    cert_path.write_bytes(pair.cert_pem)
    write_private(key_path, pair.key_pem)
    return cert_path, key_path
