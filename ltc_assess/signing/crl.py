"""The agency root's certificate revocation lists (RFC 5280).

A CRL is what lets a verifier years later tell a signature made before a user was disabled from one made
after: it lists each revoked certificate with the time it was revoked. Revoked certificates stay on every
later CRL, also after they expire, so that the CRL an insurer holds in 2033 still speaks about 2026 keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.signing.keys import KeyPair, load_key

# How long a CRL is current. Offline laptops sign with the last CRL they hold, so it must outlive a field trip;
# a verifier with a newer CRL still sees a revocation made meanwhile.
CRL_DAYS = 30


@dataclass(frozen=True, slots=True)
class Revocation:
    """One revoked certificate: its serial number and when it stopped being valid."""

    serial: int
    revoked_at: dt.datetime


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
    )
    for entry in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(entry.revoked_at)
            .add_extension(x509.CRLReason(x509.ReasonFlags.cessation_of_operation), critical=False)
            .build()
        )
    return builder.sign(root_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def load_crls(data: bytes, where: str = "CRL") -> list[asn1_crl.CertificateList]:
    """Every CRL in a PEM (one or more blocks) or DER file; anything else is a located error."""
    try:
        blobs = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        crls = [asn1_crl.CertificateList.load(der) for der in blobs]
        for c in crls:
            c.native  # noqa: B018 - parse fully now so that junk fails here, not inside validation
    except (ValueError, TypeError, KeyError):
        raise AppError(ErrorCode.INVALID, f"{where}: not a certificate revocation list (PEM or DER)") from None
    if not crls:
        raise AppError(ErrorCode.INVALID, f"{where}: no CRL in the file")
    return crls


_ISSUER_KEYS = (dsa.DSAPublicKey, ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey,
                ed448.Ed448PublicKey)


def crl_number(data: bytes, root_pem: bytes) -> int:
    """The number of a PEM CRL after checking the root signed it; anything else is a clear error."""
    try:
        crl = x509.load_pem_x509_crl(data)
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except (ValueError, x509.ExtensionNotFound):
        raise AppError(ErrorCode.INVALID, "not a numbered CRL in PEM form") from None
    root = x509.load_pem_x509_certificate(root_pem)
    key = root.public_key()  # a key that cannot sign (X25519, X448) cannot have issued it either
    if crl.issuer != root.subject or not isinstance(key, _ISSUER_KEYS) or not crl.is_signature_valid(key):
        raise AppError(ErrorCode.SIGNATURE, "this CRL was not issued by this installation's root")
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
