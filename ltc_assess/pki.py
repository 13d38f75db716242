"""The agency's trust services on one installation: its field TSA, its CRLs, the revocation of users' keys.

Kept apart from ``service`` so the signing order and its trust live in one place (see
``signing.ltv`` and ``signing.tsa``). The TSA key is locked with a random secret in a file beside the
database (``<db>.tsa-secret``), never in the database: a copied database alone cannot stamp.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.signing import keys as signing_keys
from ltc_assess.storage.store import Store
from ltc_assess.storage.work import unit_of_work

if TYPE_CHECKING:
    from ltc_assess.signing.crl import Revocation
    from ltc_assess.signing.ltv import Ltv
    from ltc_assess.signing.tsa import AgencyTimeStamper

TSA_CERT, TSA_KEY, TSA_URL = "tsa_cert_pem", "tsa_key_pem", "tsa_url"
CRL_PEM, CRL_NUMBER = "crl_pem", "crl_number"
ROOT_CERT, ROOT_KEY = "root_cert_pem", "root_key_pem"
OWN_TSA_RESERVE = 8192  # bytes for a signature's CMS with our TSA's token and both chains (measured: ~5.8 KB)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AgencyPki:
    """Timestamping, CRLs and revocation over one database (``path``).

    It keeps real time (``clock`` is for tests that issue a CRL "in 2032"), not the service's injectable clock:
    pyHanko checks timestamps, CRLs and revocation times against the real time of signing, and a revocation
    is only meaningful on the same time line as the signatures it cuts off.
    """

    def __init__(self, store: Store, path: Path, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.store, self.path, self._clock = store, path, clock
        self._timestamper: tuple[str, AgencyTimeStamper] | None = None

    @property
    def secret_path(self) -> Path:
        return self.path.with_name(self.path.name + ".tsa-secret")

    def _root(self) -> signing_keys.KeyPair:
        cert, key = self.store.setting(ROOT_CERT), self.store.setting(ROOT_KEY)
        if cert is None or key is None:
            raise AppError(ErrorCode.NOT_FOUND, _("尚未创建签名根证书（ltc-assess keys init-root）"))
        return signing_keys.KeyPair(cert.encode(), key.encode())

    @contextmanager
    def _change(self, actor_id: int | None, action: str, new: dict[str, object]) -> Iterator[None]:
        """The block's writes and then their audit event, as one unit of work."""
        with unit_of_work(self.store, self._clock().isoformat(timespec="seconds")) as work:
            yield
            work.audit(action, "agency", "pki", new=new, actor_id=actor_id)

    # --- the field TSA ----------------------------------------------------------------------------

    def setup_tsa(self, actor_id: int, root_passphrase: str) -> bytes:
        """Give this installation its own TSA certificate from the root (at enrolment); returns it (PEM)."""
        secret = secrets.token_hex(32)
        name = f"{self.store.setting('agency_name') or 'agency'} TSA {secrets.token_hex(4)}"
        pair = signing_keys.issue_tsa(self._root(), root_passphrase, name=name, secret=secret, now=self._clock())
        fd = os.open(self.secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret)
        with self._change(actor_id, "keys.tsa", {"tsa": name}):
            self.store.set_setting(TSA_CERT, pair.cert_pem.decode())
            self.store.set_setting(TSA_KEY, pair.key_pem.decode())
        return pair.cert_pem

    def local_timestamper(self) -> AgencyTimeStamper | None:
        """This installation's TSA, or None where it has none (or its secret file is not on this machine)."""
        from ltc_assess.signing.tsa import local_timestamper

        cert, key = self.store.setting(TSA_CERT), self.store.setting(TSA_KEY)
        if cert is None or key is None or not self.secret_path.exists():
            return None
        cached = self._timestamper
        if cached is not None and cached[0] == key:
            return cached[1]
        secret = self.secret_path.read_text(encoding="ascii").strip()
        pair = signing_keys.KeyPair(cert.encode(), key.encode())
        timestamper = local_timestamper(pair, secret, self._root().cert_pem)
        self._timestamper = (key, timestamper)  # unlocking costs ~0.1-0.2 s (key derivation): once per service
        return timestamper

    def set_tsa_url(self, actor_id: int, url: str | None) -> None:
        """Use an external RFC 3161 TSA (None: back to this installation's own)."""
        if url is not None and not url.startswith(("http://", "https://")):
            raise AppError(
                ErrorCode.INVALID, _("时间戳服务地址 {url!r}：必须以 http:// 或 https:// 开头").format(url=url)
            )
        with self._change(actor_id, "keys.tsa_url", {"url": url}):
            self.store.set_setting(TSA_URL, url or "")

    # --- revocation -------------------------------------------------------------------------------

    def revoke_user(self, actor_id: int | None, user_id: int, reason: str) -> bool:
        """Revoke the user's certificate as of now, if the agency root issued it (a real CA revokes its own);
        whether it did."""
        from ltc_assess.signing.crl import cert_serial, issued_by

        stored = self.store.user_key(user_id)
        if stored is None or not issued_by(stored[0], self._root().cert_pem):
            return False
        at = self._clock().isoformat()  # to the microsecond: a signature a second earlier must stay valid
        with self._change(actor_id, "keys.revoke", {"user_id": user_id, "reason": reason}):
            self.store.add_revocation(cert_serial(stored[0]), user_id, at, reason)
        return True

    def issue_crl(self, actor_id: int, root_passphrase: str) -> bytes:
        """A new CRL listing every revocation, kept as this installation's current one; returns it (PEM)."""
        from ltc_assess.signing.crl import build_crl

        number = int(self.store.setting(CRL_NUMBER) or 0) + 1
        revoked = self.revocations()
        pem = build_crl(self._root(), root_passphrase, revoked, number=number, now=self._clock())
        with self._change(actor_id, "keys.crl", {"number": number, "revoked": len(revoked)}):
            self.store.set_setting(CRL_PEM, pem.decode())
            self.store.set_setting(CRL_NUMBER, str(number))
        return pem

    def revocations(self) -> list[Revocation]:
        """Every revocation recorded here, with its RFC 5280 reason (``signing.crl.REASONS``)."""
        from ltc_assess.signing.crl import Revocation, reason_for

        return [
            Revocation(serial, dt.datetime.fromisoformat(at), reason_for(why))
            for serial, at, why in self.store.revocations()
        ]

    def install_crl(self, actor_id: int | None, data: bytes) -> int:
        """Keep a CRL the office published (``keys crl``) as this installation's current one, so that a laptop
        signs with validation data again; returns its number. Only a newer CRL signed by our root is taken."""
        number = self.take_crl(actor_id, data, "keys.crl_install")
        if number is None:
            held = self.store.setting(CRL_NUMBER)
            raise AppError(ErrorCode.CONFLICT, _("此证书吊销列表不比本机持有的第 {held} 号新").format(held=held))
        return number

    def take_crl(self, actor_id: int | None, data: bytes, action: str) -> int | None:
        """Keep ``data`` (PEM) as the current CRL if our root signed it and it is newer than the one held (None:
        it is not, and the newer one stays); its revocations join ours, so replay refuses what those keys sign
        from now on. A CRL our root did not sign is a clear error."""
        from ltc_assess.signing.crl import cert_serial, crl_number, listed

        number = crl_number(data, self._root().cert_pem)
        if number <= int(self.store.setting(CRL_NUMBER) or 0):
            return None
        serials = {cert_serial(key[0]): user.id for user in self.store.users() if (key := self.store.user_key(user.id))}
        with self._change(actor_id, action, {"number": number}):
            for entry, why in listed(data):
                self.store.add_revocation(entry.serial, serials.get(entry.serial), entry.revoked_at.isoformat(), why)
            self.store.set_setting(CRL_PEM, data.decode("ascii"))
            self.store.set_setting(CRL_NUMBER, str(number))
        return number

    def current_crl(self) -> bytes | None:
        pem = self.store.setting(CRL_PEM)
        return None if pem is None else pem.encode()

    # --- signing ----------------------------------------------------------------------------------

    def ltv(self) -> Ltv | None:
        """What B-LTA signing needs now, or None where no TSA is at hand (signatures then stay B-B).

        A CRL past its next update is left out (pyHanko cannot vouch with it): signatures are then
        timestamped (B-T) but carry no DSS until the office issues a current CRL (``keys crl``).
        """
        from ltc_assess.signing.crl import load_crls
        from ltc_assess.signing.ltv import Ltv
        from ltc_assess.signing.tsa import http_timestamper

        url = self.store.setting(TSA_URL)
        now = self._clock()
        timestamper = http_timestamper(url) if url else self.local_timestamper()
        if timestamper is None:
            return None
        pem = self.current_crl()
        crls = load_crls(pem) if pem else []
        fresh = [c for c in crls if c["tbs_cert_list"]["next_update"].native > now]
        return Ltv(timestamper, [self._root().cert_pem], fresh, reserve=None if url else OWN_TSA_RESERVE)
