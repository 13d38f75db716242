"""The agency's signing root and per-user certificates (cryptography, EC P-256).

Private keys are only ever stored sealed with a password (the user's own for user keys, the administrator's
root passphrase for the root) by argon2id at the login hash's strength (``sealing``), so a copied database
yields no usable key, and guessing a key's password costs as much as guessing the login. Keys stored earlier
as PBKDF2-encrypted PKCS#8 still open.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.signing import sealing

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

ROOT_YEARS = 20
USER_YEARS = 5
TSA_YEARS = 10


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A certificate and its password-encrypted private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes


SEALED_BEGIN, SEALED_END = b"-----BEGIN LTC-ASSESS SEALED KEY-----", b"-----END LTC-ASSESS SEALED KEY-----"
_KEY_CONTEXT = "ltc-assess signing key"


def _encrypt(key: PrivateKey, password: str) -> bytes:
    """PKCS#8 DER sealed with the password, as a PEM-style block of base64 JSON."""
    if len(password) < 8:
        raise AppError(ErrorCode.INVALID, _("密钥密码至少需要 8 个字符"))
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    body = base64.encodebytes(json.dumps(sealing.seal(der, password, _KEY_CONTEXT)).encode("ascii"))
    return SEALED_BEGIN + b"\n" + body + SEALED_END + b"\n"


def _unseal(key_pem: bytes, password: str) -> bytes | None:
    try:
        body = key_pem.strip().removeprefix(SEALED_BEGIN).removesuffix(SEALED_END)
        box = json.loads(base64.decodebytes(body))
    except (ValueError, binascii.Error):
        return None
    return sealing.unseal(box, password, _KEY_CONTEXT)


def held_copy(pair: KeyPair, password: str) -> tuple[KeyPair, str]:
    """``pair`` with its key opened by ``password`` and locked again under a fresh random secret; returns that
    pair and the secret. What the app holds in memory (never on disk) while a session is unlocked, so that it
    can sign in the background without keeping the password (which opens the database too) or a clear key."""
    key = load_key(pair.key_pem, password)
    secret = secrets.token_urlsafe(32)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret.encode("ascii")),
    )
    return KeyPair(pair.cert_pem, pem), secret


def serial_hex(cert_pem: bytes) -> str:
    """A certificate's serial number in hex (how revocation and audit entries name it)."""
    return format(x509.load_pem_x509_certificate(cert_pem).serial_number, "x")


def _key_usage(ca: bool) -> x509.KeyUsage:
    """A root only signs certificates; a user key signs documents (non-repudiation, which pyHanko checks)."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def load_key(key_pem: bytes, password: str) -> ec.EllipticCurvePrivateKey:
    """Unlock a private key; a wrong password is a clear AUTH error."""
    try:
        if key_pem.lstrip().startswith(SEALED_BEGIN):
            der = _unseal(key_pem, password)
            if der is None:
                raise ValueError("wrong password")
            key = serialization.load_der_private_key(der, None)
        else:
            key = serialization.load_pem_private_key(key_pem, password.encode("utf-8"))
    except (ValueError, TypeError):
        raise AppError(ErrorCode.AUTH, _("签名密码错误")) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise AppError(ErrorCode.SIGNATURE, _("不支持的密钥类型（仅支持 EC 密钥）"))
    return key


def create_root(agency: str, passphrase: str, now: dt.datetime) -> KeyPair:
    """A self-signed root CA for the agency (what insurers trust)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{agency} 评估签名根证书"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _encrypt(key, passphrase))


def _issue_leaf(
    root: KeyPair,
    root_passphrase: str,
    subject: list[x509.NameAttribute[str]],
    *,
    years: int,
    now: dt.datetime,
    time_stamping: bool = False,
) -> tuple[x509.Certificate, PrivateKey]:
    """An end-entity certificate from the root for a fresh key; a TSA's carries the critical timeStamping EKU
    (RFC 3161 §2.3) so that it cannot sign documents and document signers cannot sign timestamps."""
    root_key = load_key(root.key_pem, root_passphrase)
    root_cert = x509.load_pem_x509_certificate(root.cert_pem)
    # pyHanko's RFC 3161 responder signs with RSA only; user keys stay EC P-256
    key: PrivateKey = (
        rsa.generate_private_key(65537, 2048) if time_stamping else ec.generate_private_key(ec.SECP256R1())
    )
    agency = root_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(agency)), *subject]))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
    )
    if time_stamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(root_key, hashes.SHA256()), key


def issue_user(
    root: KeyPair, root_passphrase: str, *, username: str, display_name: str, role: str, password: str, now: dt.datetime
) -> KeyPair:
    """A signing certificate for one user, issued by the root; the key is encrypted with the user's password."""
    subject = [
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role),
        x509.NameAttribute(NameOID.USER_ID, username),
        x509.NameAttribute(NameOID.COMMON_NAME, display_name),
    ]
    cert, key = _issue_leaf(root, root_passphrase, subject, years=USER_YEARS, now=now)
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _encrypt(key, password))


def issue_tsa(root: KeyPair, root_passphrase: str, *, name: str, secret: str, now: dt.datetime) -> KeyPair:
    """A timestamping certificate for one installation's TSA; its key is encrypted with ``secret``.

    It outlives the user certificates (TSA_YEARS) so that timestamps made near the end of a user
    certificate's life still validate when that certificate has expired.
    """
    subject = [
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "tsa"),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ]
    cert, key = _issue_leaf(root, root_passphrase, subject, years=TSA_YEARS, now=now, time_stamping=True)
    # ``secret`` is 256 random bits, not a password: no slow KDF is needed, and every timestamp unlocks the key.
    locked = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret.encode()),
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), locked)


def import_pkcs12(data: bytes, p12_password: str, new_password: str) -> tuple[KeyPair, list[bytes]]:
    """A key and certificate from a real CA's PKCS#12, re-encrypted with the user's password; plus its chain."""
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, p12_password.encode("utf-8"))
    except ValueError:
        raise AppError(ErrorCode.AUTH, _("密码错误或不是 PKCS#12 文件")) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or cert is None:
        raise AppError(ErrorCode.SIGNATURE, _("PKCS#12 文件必须包含 EC 私钥及其证书"))
    pair = KeyPair(cert.public_bytes(serialization.Encoding.PEM), _encrypt(key, new_password))
    return pair, [c.public_bytes(serialization.Encoding.PEM) for c in chain or ()]


def subject_fields(cert_pem: bytes) -> dict[str, str]:
    """Common name, role (OU) and username (UID) of a certificate."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    out = {}
    for key, oid in (
        ("name", NameOID.COMMON_NAME),
        ("role", NameOID.ORGANIZATIONAL_UNIT_NAME),
        ("username", NameOID.USER_ID),
        ("organization", NameOID.ORGANIZATION_NAME),
    ):
        attrs = cert.subject.get_attributes_for_oid(oid)
        out[key] = str(attrs[0].value) if attrs else ""
    return out
