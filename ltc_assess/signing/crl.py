"""The agency root's certificate revocation lists (RFC 5280).

A CRL is what lets a verifier years later tell a signature made before a user was disabled from one made
after: it lists each revoked certificate with the time it was revoked. Revoked certificates stay on every
later CRL, also after they expire, so that the CRL an insurer holds in 2033 still speaks about 2026 keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from asn1crypto import core as asn1_core
from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.signing.keys import KeyPair, load_key
from ltc_assess.signing.past_control import KEY_MISUSE_REASONS, Revoked

# The RFC 5280 reason each way our users lose their key. Neither says the key was compromised, so what the
# user signed before stays valid (``signing.past_control``); KEY_COMPROMISE voids the key's every signature.
REASONS = {
    "account disabled": x509.ReasonFlags.cessation_of_operation,
    "password reset": x509.ReasonFlags.superseded,
    "key compromise": x509.ReasonFlags.key_compromise,
}

EXPIRED_CERTS_ON_CRL = x509.ObjectIdentifier("2.5.29.60")  # X.509 (2019) §9.6.2.6, ExpiredCertsOnCRL

# How long a CRL is current. Offline laptops sign with the last CRL they hold, so it must outlive a field trip;
# a verifier with a newer CRL still sees a revocation made meanwhile.
CRL_DAYS = 30


@dataclass(frozen=True, slots=True)
class Revocation:
    """One revoked certificate: its serial number, when it stopped being valid, and why (RFC 5280)."""

    serial: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags = x509.ReasonFlags.cessation_of_operation
    invalid_since: dt.datetime | None = None  # key compromise: since when the key is suspect, where known


def build_crl(
    root: KeyPair, root_passphrase: str, revoked: Iterable[Revocation], *, number: int, now: dt.datetime
) -> bytes:
    """A CRL (PEM) signed by the root, listing ``revoked``, current from ``now`` for CRL_DAYS."""
    root_key = load_key(root.key_pem, root_passphrase)
    root_cert = x509.load_pem_x509_certificate(root.cert_pem)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root_cert.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=CRL_DAYS))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        # X.509 expiredCertsOnCRL: entries stay after the certificates expire (since the root's start), so a
        # verifier years later may read a missing entry as "never revoked"
        .add_extension(x509.UnrecognizedExtension(EXPIRED_CERTS_ON_CRL, _generalized(root_cert)), critical=False)
    )
    for entry in revoked:
        item = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(entry.revoked_at)
            .add_extension(x509.CRLReason(entry.reason), critical=False)
        )
        if entry.invalid_since is not None:
            item = item.add_extension(x509.InvalidityDate(entry.invalid_since), critical=False)
        builder = builder.add_revoked_certificate(item.build())
    return builder.sign(root_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _generalized(root_cert: x509.Certificate) -> bytes:
    return bytes(asn1_core.GeneralizedTime(root_cert.not_valid_before_utc).dump())


def reason_for(why: str) -> x509.ReasonFlags:
    """The RFC 5280 reason for a revocation recorded as ``why`` (see REASONS, or an RFC 5280 reason's name as a
    CRL from elsewhere gave it; anything else: unspecified)."""
    if why in REASONS:
        return REASONS[why]
    return x509.ReasonFlags[why] if why in x509.ReasonFlags.__members__ else x509.ReasonFlags.unspecified


def revoked_entries(
    crls: Iterable[asn1_crl.CertificateList], roots: Iterable[asn1_x509.Certificate]
) -> dict[tuple[bytes, int], Revoked]:
    """Every certificate listed on one of ``crls`` that a root in ``roots`` signed, by (issuer DER, serial).

    Where CRLs differ about one certificate, a key-misuse reason wins, then the earliest revocation time.
    """
    trusted = [x509.load_der_x509_certificate(r.dump()) for r in roots]
    found: dict[tuple[bytes, int], Revoked] = {}
    for data in crls:
        crl = x509.load_der_x509_crl(data.dump())
        if not any(_signed_by(crl, r) for r in trusted):
            continue
        issuer = data["tbs_cert_list"]["issuer"].dump()
        for entry in crl:
            reason = _extension(entry, x509.CRLReason)
            if reason is not None and reason.reason == x509.ReasonFlags.remove_from_crl:
                continue
            since = _extension(entry, x509.InvalidityDate)
            new = Revoked(
                entry.revocation_date_utc,
                reason.reason.name if reason is not None else "unspecified",
                since.invalidity_date_utc if since is not None else None,
            )
            old = found.get((issuer, entry.serial_number))
            found[(issuer, entry.serial_number)] = new if old is None or _rank(new) < _rank(old) else old
    return found


def _rank(entry: Revoked) -> tuple[bool, dt.datetime]:
    return entry.reason not in KEY_MISUSE_REASONS, entry.at


def _extension(entry: x509.RevokedCertificate, kind: type[Any]) -> Any:
    try:
        return entry.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _signed_by(crl: x509.CertificateRevocationList, root: x509.Certificate) -> bool:
    """Whether ``root`` issued ``crl`` (a key that cannot sign, X25519 or X448, cannot have issued it either)."""
    key = root.public_key()
    return crl.issuer == root.subject and isinstance(key, _ISSUER_KEYS) and crl.is_signature_valid(key)


def load_crls(data: bytes, where: str = "CRL") -> list[asn1_crl.CertificateList]:
    """Every CRL in a PEM (one or more blocks) or DER file; anything else is a located error."""
    try:
        blobs = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        crls = [asn1_crl.CertificateList.load(der) for der in blobs]
        for c in crls:
            c.native  # noqa: B018 - parse fully now so that junk fails here, not inside validation
    except (ValueError, TypeError, KeyError):
        raise AppError(ErrorCode.INVALID, _("{where}：不是证书吊销列表（PEM 或 DER）").format(where=where)) from None
    if not crls:
        raise AppError(ErrorCode.INVALID, _("{where}：文件中没有证书吊销列表").format(where=where))
    return crls


def listed(data: bytes) -> list[tuple[Revocation, str]]:
    """Every entry of a PEM CRL (check its signature with ``crl_number`` first) with the reason as we record it."""
    names = {flag: why for why, flag in REASONS.items()}
    out = []
    for entry in x509.load_pem_x509_crl(data):
        found = _extension(entry, x509.CRLReason)
        reason = found.reason if found is not None else x509.ReasonFlags.unspecified
        out.append((Revocation(entry.serial_number, entry.revocation_date_utc, reason), names.get(reason, reason.name)))
    return out


_ISSUER_KEYS = (
    dsa.DSAPublicKey,
    ec.EllipticCurvePublicKey,
    rsa.RSAPublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
)


def crl_number(data: bytes, root_pem: bytes) -> int:
    """The number of a PEM CRL after checking the root signed it; anything else is a clear error."""
    try:
        crl = x509.load_pem_x509_crl(data)
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except (ValueError, x509.ExtensionNotFound):
        raise AppError(ErrorCode.INVALID, _("不是带编号的 PEM 格式证书吊销列表")) from None
    if not _signed_by(crl, x509.load_pem_x509_certificate(root_pem)):
        raise AppError(ErrorCode.SIGNATURE, _("此证书吊销列表并非由本机构根证书签发"))
    return int(number)


def cert_serial(cert_pem: bytes) -> int:
    return int(x509.load_pem_x509_certificate(cert_pem).serial_number)


def issued_by(cert_pem: bytes, root_pem: bytes) -> bool:
    """Whether ``cert_pem`` was signed by the root in ``root_pem`` (our CRL can speak about it)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    root = x509.load_pem_x509_certificate(root_pem)
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
