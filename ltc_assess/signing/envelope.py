"""Encrypting a file to a recipient's certificate (CMS EnvelopedData, AES-256): insurer packages that leave
the machine can be readable by the insurer alone (``export --encrypt-to CERT``; ``openssl cms -decrypt``)."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _


def recipient(cert_pem: bytes, where: str = "certificate") -> x509.Certificate:
    """The recipient's RSA certificate (PEM or DER), checked before anything is exported."""
    try:
        cert = (
            x509.load_pem_x509_certificate(cert_pem)
            if cert_pem.lstrip().startswith(b"-----")
            else x509.load_der_x509_certificate(cert_pem)
        )
    except ValueError:
        raise AppError(ErrorCode.INVALID, _("{where}：不是 X.509 证书").format(where=where)) from None
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise AppError(ErrorCode.INVALID, _("{where}：加密需要接收方的 RSA 证书").format(where=where))
    return cert


def encrypt_to(cert: x509.Certificate, data: bytes) -> bytes:
    """``data`` as DER CMS EnvelopedData that only the holder of ``cert``'s private key opens."""
    return (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(data)
        .set_content_encryption_algorithm(algorithms.AES256)
        .add_recipient(cert)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])  # bytes as they are, not MIME text
    )
