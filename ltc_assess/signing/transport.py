"""Encryption of files that leave the machine (bundles) to the agency's transport certificate.

Scheme (hybrid ECIES): a fresh EC P-256 key per file, ECDH with the transport certificate's key, HKDF-SHA256
to a 256-bit AES-GCM key; the header (format, recipient certificate hash, ephemeral public key) is
authenticated as associated data. The transport certificate is issued by the agency root (key usage: key
agreement only) and checked against the root before anything is encrypted to it, so a laptop cannot be made
to encrypt to someone else's key. Its private key is kept in the agency's database (encrypted at rest with it):
a lost USB stick yields nothing, any installation of the agency opens it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import struct

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.signing.keys import ROOT_YEARS, KeyPair, load_key

MAGIC = b"LTCSEAL1"
_INFO = b"ltc-assess bundle v1"


def create_transport(root: KeyPair, root_passphrase: str, now: dt.datetime) -> KeyPair:
    """A key-agreement certificate for the agency, issued by its root; the key is returned unencrypted (PEM)
    for storage inside the agency's (encrypted) database."""
    root_key = load_key(root.key_pem, root_passphrase)
    root_cert = x509.load_pem_x509_certificate(root.cert_pem)
    agency = str(root_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value)
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(False, False, False, False, True, False, False, False, False)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency),
                    x509.NameAttribute(NameOID.COMMON_NAME, f"{agency} 数据包加密证书"),
                ]
            )
        )
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), key_pem)


def _recipient(cert_pem: bytes, root_pem: bytes) -> tuple[x509.Certificate, ec.EllipticCurvePublicKey]:
    cert = x509.load_pem_x509_certificate(cert_pem)
    root = x509.load_pem_x509_certificate(root_pem)
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        raise AppError(ErrorCode.SIGNATURE, _("传输证书并非由本机构根证书签发")) from None
    key = cert.public_key()
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    if not isinstance(key, ec.EllipticCurvePublicKey) or not usage.key_agreement:
        raise AppError(ErrorCode.SIGNATURE, _("传输证书不能用于密钥协商"))
    return cert, key


def _aes_key(shared: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(shared)


def seal(data: bytes, cert_pem: bytes, root_pem: bytes) -> bytes:
    """``data`` encrypted to the transport certificate (after checking it against the root)."""
    cert, public = _recipient(cert_pem, root_pem)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    header = json.dumps(
        {
            "alg": "ECDH-ES+HKDF-SHA256+A256GCM",
            "recipient": cert.fingerprint(hashes.SHA256()).hex(),
            "epk": ephemeral.public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
            .hex(),
        },
        sort_keys=True,
    ).encode()
    nonce = os.urandom(12)
    body = AESGCM(_aes_key(ephemeral.exchange(ec.ECDH(), public))).encrypt(nonce, data, MAGIC + header)
    return MAGIC + struct.pack(">I", len(header)) + header + nonce + body


def is_sealed(head: bytes) -> bool:
    return head.startswith(MAGIC)


def unseal(blob: bytes, cert_pem: bytes, key_pem: bytes) -> bytes:
    """The plaintext of a sealed file; AppError when it is not for this agency or was changed."""
    not_ours = AppError(ErrorCode.INTEGRITY, _("加密文件已损坏或不是发给本机构的"))
    try:
        (size,) = struct.unpack(">I", blob[len(MAGIC) : len(MAGIC) + 4])
        start = len(MAGIC) + 4
        header_bytes = blob[start : start + size]
        header = json.loads(header_bytes)
        nonce, body = blob[start + size : start + size + 12], blob[start + size + 12 :]
        cert = x509.load_pem_x509_certificate(cert_pem)
        if header.get("recipient") != cert.fingerprint(hashes.SHA256()).hex():
            raise not_ours
        epk = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(header["epk"]))
        key = serialization.load_pem_private_key(key_pem, None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise not_ours
        return AESGCM(_aes_key(key.exchange(ec.ECDH(), epk))).decrypt(nonce, body, MAGIC + header_bytes)
    except (struct.error, ValueError, TypeError, KeyError, AttributeError, InvalidTag):
        raise not_ours from None
