"""Bundles leave the machine encrypted to the agency (``signing.envelope``) and are written 0600.

The agency's transport certificate is made with the signing root (or later by ``keys init-transport``); its
key lives in the settings of the agency's database, which every installation of the agency copies.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.storage.records import User
from ltc_assess.storage.work import Changes
from ltc_assess.workflow import Role

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService

TRANSPORT_CERT, TRANSPORT_KEY = "transport_cert_pem", "transport_key_pem"


def init_transport(service: AssessmentService, actor: User, root_passphrase: str) -> tuple[bytes, Changes]:
    """Create the agency's transport certificate (admin, once, needs the root passphrase); returns it (PEM)."""
    from ltc_assess.signing.transport import create_transport

    actor = service.active_actor(actor, Role.ADMIN)
    if service.keys.setting(TRANSPORT_CERT) is not None:
        raise AppError(ErrorCode.CONFLICT, _("传输证书已存在"))
    pair = create_transport(service.keys.root(), root_passphrase, dt.datetime.fromisoformat(service.now()))
    with service.unit_of_work(actor, Role.ADMIN) as work:
        work.store.set_setting(TRANSPORT_CERT, pair.cert_pem.decode())
        work.store.set_setting(TRANSPORT_KEY, pair.key_pem.decode())
        work.audit("keys.init_transport", "agency", service.agency()[0])
        work.changed(keys_changed=True)
    return pair.cert_pem, work.changes


def write_private(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` readable by its owner only (0600), replacing it only once complete."""
    tmp = out.with_name(out.name + ".partial")
    handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o600)  # an existing partial file keeps its old mode through O_CREAT
    tmp.replace(out)


@contextmanager
def private_dir() -> Iterator[Path]:
    """A temporary folder only the owner can enter (0700) for plaintext that must not linger."""
    with tempfile.TemporaryDirectory(prefix="ltc-bundle-") as name:
        os.chmod(name, 0o700)
        yield Path(name)


def seal(service: AssessmentService, plain: Path, out: Path) -> None:
    """Encrypt the package file ``plain`` to the agency and write it to ``out`` (0600)."""
    from ltc_assess.signing.transport import seal as seal_bytes

    cert = service.keys.setting(TRANSPORT_CERT)
    if cert is None:
        raise AppError(
            ErrorCode.NOT_FOUND,
            _("没有可用于加密数据包的传输证书（请管理员运行：ltc-assess keys init-transport）"),
        )
    write_private(out, seal_bytes(plain.read_bytes(), cert.encode(), service.root_certificate()))


class Settings(Protocol):
    """Where the agency's transport key is kept: the desktop's service, the office server's store."""

    def setting(self, key: str) -> str | None: ...


@contextmanager
def opened(settings: Settings, path: Path, max_bytes: int) -> Iterator[Path]:
    """The package inside a bundle file: decrypted into a private temporary file when sealed, else as it is."""
    from ltc_assess.signing.transport import MAGIC, is_sealed, unseal

    if not path.is_file():
        yield path
        return
    with path.open("rb") as f:
        head = f.read(len(MAGIC))
    if not is_sealed(head):
        yield path
        return
    if path.stat().st_size > max_bytes + 4096:
        raise AppError(
            ErrorCode.INTEGRITY, _("{path}：超过数据包允许的 {max_bytes} 字节").format(path=path, max_bytes=max_bytes)
        )
    cert, key = settings.setting(TRANSPORT_CERT), settings.setting(TRANSPORT_KEY)
    if cert is None or key is None:
        raise AppError(ErrorCode.NOT_FOUND, _("{path}：已加密，但本数据库没有传输密钥").format(path=path))
    try:
        plain = unseal(path.read_bytes(), cert.encode(), key.encode())
    except AppError as exc:
        raise AppError(exc.code, exc.message, where=str(path)) from None
    with private_dir() as folder:
        inner = folder / "bundle.zip"
        write_private(inner, plain)
        yield inner
