"""PAdES signatures: three signers in turn, verified by pyHanko and poppler; every tampering detected."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.pdfgen.canvas import Canvas

from ltc_assess.errors import AppError
from ltc_assess.report.fonts import register
from ltc_assess.report.pdf import STAMP_BOXES
from ltc_assess.signing.keys import KeyPair, create_root, import_pkcs12, issue_user, load_key
from ltc_assess.signing.pades import sign_pdf, verify_pdf

pytestmark = pytest.mark.slow  # PAdES signing and pdfsig on every test

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pki() -> dict[str, KeyPair]:
    root = create_root("示例评估机构", "root-passphrase", NOW)
    people = {"root": root}
    for user, role in (("assessor1", "assessor"), ("assessor2", "assessor"), ("supervisor1", "supervisor")):
        people[user] = issue_user(root, "root-passphrase", username=user, display_name=f"{user} 名", role=role,
                                  password=f"{user}-password", now=NOW)
    return people


def _pdf() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, initialFontName=register())
    canvas.drawString(72, 720, "老年人能力评估报告 测试")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def signed(pki: dict[str, KeyPair]) -> bytes:
    pdf = _pdf()
    for user, field in (("assessor1", "assessor1"), ("assessor2", "assessor2"), ("supervisor1", "supervisor")):
        pdf = sign_pdf(pdf, pki[user], f"{user}-password", [pki["root"].cert_pem], field=field,
                       box=STAMP_BOXES[field], page=0, reason="测试签名")
    return pdf


def test_three_signatures_verify_and_name_their_signers(signed: bytes, pki: dict[str, KeyPair]) -> None:
    """Test that all three signatures are intact and trusted, in order, with signer name and role."""
    verdict = verify_pdf(signed, [pki["root"].cert_pem])
    assert verdict.ok, verdict.problems
    assert [(c.field, c.username, c.role) for c in verdict.signatures] == [
        ("assessor1", "assessor1", "assessor"), ("assessor2", "assessor2", "assessor"),
        ("supervisor", "supervisor1", "supervisor")]
    assert [c.covers_whole_file for c in verdict.signatures] == [False, False, True]


def test_poppler_agrees(signed: bytes, tmp_path: Path) -> None:
    """Test that poppler's pdfsig reports every signature as valid."""
    path = tmp_path / "s.pdf"
    path.write_bytes(signed)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 3


def test_flipping_a_signed_byte_breaks_verification(signed: bytes, pki: dict[str, KeyPair], english: None) -> None:  # matches English
    """Test that changing one byte inside the signed range is detected."""
    bad = bytearray(signed)
    pos = signed.index(b"stream") + 20
    bad[pos] ^= 0x01
    verdict = verify_pdf(bytes(bad), [pki["root"].cert_pem])
    assert not verdict.ok and any("changed" in p for p in verdict.problems)


def test_unsigned_update_after_last_signature_is_detected(signed: bytes, pki: dict[str, KeyPair], english: None) -> None:  # matches English
    """Test that an incremental update appended after signing makes verification fail."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)  # a visible change to the signed page
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    verdict = verify_pdf(out.getvalue(), [pki["root"].cert_pem])
    assert not verdict.ok
    assert "bytes were added after the last signature" in verdict.problems


def test_other_root_is_untrusted(signed: bytes) -> None:
    """Test that a report signed under another agency's root is not trusted."""
    other = create_root("别的机构", "root-passphrase", NOW)
    verdict = verify_pdf(signed, [other.cert_pem])
    assert not verdict.ok and all(not c.trusted for c in verdict.signatures)


def test_wrong_password_does_not_sign(pki: dict[str, KeyPair]) -> None:
    """Test that a wrong password is refused clearly and signs nothing."""
    with pytest.raises(AppError, match="签名密码错误"):
        sign_pdf(_pdf(), pki["assessor1"], "not-the-password", [pki["root"].cert_pem], field="assessor1",
                 box=STAMP_BOXES["assessor1"], page=0, reason="x")


def test_keys_are_sealed_as_strongly_as_logins(pki: dict[str, KeyPair]) -> None:
    """Test that the stored private key is sealed by argon2id with the login hash's parameters (not 2,048 PBKDF2
    rounds), holds no key material in the clear, and opens only with the password."""
    import base64
    import json

    from ltc_assess.signing import sealing
    from ltc_assess.signing.keys import SEALED_BEGIN, SEALED_END

    pem = pki["assessor1"].key_pem
    assert pem.startswith(SEALED_BEGIN) and b"PRIVATE KEY" not in pem
    box = json.loads(base64.decodebytes(pem.strip().removeprefix(SEALED_BEGIN).removesuffix(SEALED_END)))
    assert box["kdf"]["name"] == "argon2id"
    assert (box["kdf"]["t"], box["kdf"]["m"], box["kdf"]["p"]) >= (sealing.TIME_COST, sealing.MEMORY_KIB, 1)
    assert load_key(pem, "assessor1-password") is not None
    with pytest.raises(AppError, match="签名密码错误"):
        load_key(pem, "assessor2-password")


def test_keys_stored_before_sealing_still_open(pki: dict[str, KeyPair]) -> None:
    """Test that a PBKDF2-encrypted PKCS#8 key from an older database still opens with its password."""
    key = load_key(pki["assessor1"].key_pem, "assessor1-password")
    old = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"old-password"))
    assert load_key(old, "old-password").private_numbers() == key.private_numbers()
    with pytest.raises(AppError, match="签名密码错误"):
        load_key(old, "wrong-password")


def test_pkcs12_import_round_trip(pki: dict[str, KeyPair], english: None) -> None:
    """Test that a key from a real CA's PKCS#12 is imported, re-encrypted, and signs verifiably."""
    key = load_key(pki["assessor2"].key_pem, "assessor2-password")
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(pki["assessor2"].cert_pem)
    p12 = pkcs12.serialize_key_and_certificates(b"ca", key, cert, None,
                                                serialization.BestAvailableEncryption(b"p12-password"))
    pair, _ = import_pkcs12(p12, "p12-password", "my-new-password")
    pdf = sign_pdf(_pdf(), pair, "my-new-password", [pki["root"].cert_pem], field="assessor2",
                   box=STAMP_BOXES["assessor2"], page=0, reason="x")
    assert verify_pdf(pdf, [pki["root"].cert_pem]).ok
    with pytest.raises(AppError, match="wrong password or not a PKCS#12 file"):
        import_pkcs12(p12, "wrong", "my-new-password")


def test_stamp_embeds_the_cjk_font(signed: bytes, tmp_path: Path) -> None:
    """Test that the visible stamps use an embedded font (no garbled CJK from a default font)."""
    path = tmp_path / "s.pdf"
    path.write_bytes(signed)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert len(rows) >= 2 and all(" yes " in row for row in rows), out


def test_percent_signs_in_names_and_reasons_are_printed_literally(tmp_path: Path) -> None:
    """Test that a '%' in the signer's name or the reason neither breaks signing nor garbles the stamp
    (pyHanko fills the stamp text with %-formatting)."""
    root = create_root("示例评估机构", "root-passphrase", NOW)
    odd = issue_user(root, "root-passphrase", username="pct", display_name="李 100%s", role="assessor",
                     password="pct-password", now=NOW)
    pdf = sign_pdf(_pdf(), odd, "pct-password", [root.cert_pem], field="assessor1", box=STAMP_BOXES["assessor1"],
                   page=0, reason="降低 5% 的评分", extra_line="核定 100%")
    verdict = verify_pdf(pdf, [root.cert_pem])
    assert verdict.ok, verdict.problems
    path = tmp_path / "stamp.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "李 100%s" in text and "降低 5% 的评分" in text and "核定 100%" in text
