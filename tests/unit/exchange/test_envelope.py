"""Encrypting a package to the insurer's certificate (CMS EnvelopedData): only the holder of the key reads it."""

from __future__ import annotations

import pytest
from certs import certificate
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from ltc_assess.errors import AppError
from ltc_assess.signing.envelope import encrypt_to, recipient


def test_only_the_recipient_key_opens_it() -> None:
    """Test that the envelope hides the content, opens with the insurer's key and not with another RSA key."""
    insurer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = certificate(insurer)
    secret = ("王秀英 110105194003151236\n".encode() + bytes(range(256)) + b"\r\n") * 20  # binary, line ends too
    sealed = encrypt_to(recipient(pem), secret)
    assert secret[:20] not in sealed
    opened = pkcs7.pkcs7_decrypt_der(sealed, recipient(pem), insurer, [])
    assert opened == secret
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ValueError):
        pkcs7.pkcs7_decrypt_der(sealed, x509.load_pem_x509_certificate(certificate(stranger)), stranger, [])


def test_bad_recipients_are_clear_errors(english: None) -> None:
    """Test that junk and an EC certificate (CMS key transport needs RSA) are refused by name."""
    with pytest.raises(AppError, match="insurer.pem: not an X.509 certificate"):
        recipient(b"-----BEGIN CERTIFICATE-----\njunk\n-----END CERTIFICATE-----\n", "insurer.pem")
    with pytest.raises(AppError, match="RSA certificate"):
        recipient(certificate(ec.generate_private_key(ec.SECP256R1())), "insurer.pem")
