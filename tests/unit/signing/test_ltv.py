"""Long-term validation: B-LTA reports made by the service, validated years later with the CRL of that time."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import time
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader

from ltc_assess.errors import AppError
from ltc_assess.report.pdf import STAMP_BOXES
from ltc_assess.signing.attach import submitted_report
from ltc_assess.signing.crl import Revocation, build_crl, cert_serial, load_crls, revoked_entries
from ltc_assess.signing.keys import KeyPair, create_root
from ltc_assess.signing.ltv import Ltv
from ltc_assess.signing.pades import page_count, sign_pdf, verify_pdf
from ltc_assess.signing.validation import validate_report
from tests.world import World, complete_barthel, with_signing_keys

pytestmark = pytest.mark.slow  # PAdES B-LTA: timestamps, CRLs, validation as of later dates

ROOT_PASSPHRASE = "root-passphrase"
FUTURE = dt.datetime(2033, 1, 1, tzinfo=dt.UTC)
CRL_2032 = dt.datetime(2032, 12, 20, tzinfo=dt.UTC)  # the agency's CRL an insurer holds on 2033-01-01


def approve_one(world: World) -> tuple[int, bytes]:
    """A barthel assessment submitted by a1+a2 and approved by sup1; returns its id and approved report."""
    s = world.service
    aid = complete_barthel(world)
    s.submit(world.a1, aid, {"assessor1": "a1-password", "assessor2": "a2-password"})
    s.approve(world.sup1, aid, "sup1-password")
    return aid, s.report_pdf(aid)


def crl_issued_at(world: World, when: dt.datetime) -> list:
    """The CRL the agency's root issues at ``when`` with the revocations recorded so far (not kept as current)."""
    s = world.service
    root = KeyPair(s.root_certificate(), (s.store.setting("root_key_pem") or "").encode())
    return load_crls(build_crl(root, ROOT_PASSPHRASE, s.pki.revocations(), number=73, now=when))


@pytest.fixture
def approved(world: World) -> tuple[World, int, bytes]:
    with_signing_keys(world)
    aid, pdf = approve_one(world)
    return world, aid, pdf


def test_every_signature_is_timestamped_with_validation_data_and_closed_by_document_timestamps(
    approved: tuple[World, int, bytes],
) -> None:
    """Test that each of the three signatures carries an RFC 3161 signature timestamp from the agency TSA,
    that the DSS holds the CRL, and that document timestamps follow submission and approval (B-LTA)."""
    world, _aid, pdf = approved
    submitted = submitted_report(pdf)  # the approved report embeds the submission the assessors signed
    assert submitted is not None
    for document, fields in ((submitted, ["assessor1", "assessor2"]), (pdf, ["supervisor"])):
        reader = PdfFileReader(io.BytesIO(document))
        signatures = reader.embedded_regular_signatures
        assert [s.field_name for s in signatures] == fields
        for sig in signatures:
            signer_info = cms.ContentInfo.load(sig.pkcs7_content)["content"]["signer_infos"][0]
            unsigned = [a["type"].native for a in signer_info["unsigned_attrs"]]
            assert unsigned == ["signature_time_stamp_token"], sig.field_name
        assert len(reader.embedded_timestamp_signatures) == 1  # closes the submission / the approval
        dss = reader.root["/DSS"]
        assert len(dss["/CRLs"]) >= 1 and len(dss["/Certs"]) >= 3
    tsa = x509.load_pem_x509_certificate(world.service.store.setting("tsa_cert_pem").encode())
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]


def test_valid_in_2033_after_the_user_certificates_expired_with_the_crl_of_that_time(
    approved: tuple[World, int, bytes],
) -> None:
    """Test the insurer in 2033: the users' certificates have expired, yet with the agency's then-current CRL
    every signature's AdES result is OK; the same file is OK just after signing too."""
    world, _aid, pdf = approved
    user_cert = x509.load_pem_x509_certificate(world.service.store.user_key(world.a1.id)[0])
    assert user_cert.not_valid_after_utc < FUTURE
    root = world.service.root_certificate()
    soon = validate_report(pdf, [root], [], dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert [c.ades for c in soon] == ["OK"] * 3
    later = validate_report(pdf, [root], crl_issued_at(world, CRL_2032), FUTURE)
    assert [(c.field, c.ades, c.intact, c.trusted) for c in later] == [
        ("supervisor", "OK", True, True),  # the approved file, then the submission it embeds
        ("assessor1", "OK", True, True),
        ("assessor2", "OK", True, True),
    ]


def _sign_after_revocation(world: World, aid: int) -> tuple[bytes, list]:
    """Disable a2 (revoking their certificate), then sign with a2's key on a laptop that still holds the old
    CRL, as an insider with a copy of the laptop could; returns that PDF and the CRL of 2032-12-20."""
    s = world.service
    stale_crls = load_crls(s.pki.current_crl() or b"")
    _next_second()
    s.set_disabled(world.admin, "a2")
    _next_second()
    pair = KeyPair(*s.store.user_key(world.a2.id))
    laptop = Ltv(s.pki.local_timestamper(), [s.root_certificate()], stale_crls)
    draft = s.render_report(aid)
    later = sign_pdf(draft, pair, "a2-password", [s.root_certificate()], field="assessor2",
                     box=STAMP_BOXES["assessor2"], page=page_count(draft) - 1, reason="r", ltv=laptop,
                     document_timestamp=True)
    return later, crl_issued_at(world, CRL_2032)


def _next_second() -> None:
    """A CRL states revocation times to the second (RFC 5280 UTCTime): keep signing and revoking in distinct
    seconds, so that the test says which came first (in the same second the revocation wins)."""
    time.sleep(1.05)


def test_a_disabled_users_later_signature_fails(approved: tuple[World, int, bytes], english: None) -> None:
    """Test revocation: disabling a2 revokes their certificate; a signature a2's key makes afterwards on a laptop
    that has not heard of it yet fails for a verifier holding a later CRL (no proof that it existed before the
    revocation), and the installation that knows (after the office published a CRL) refuses to sign with the
    revoked key at all."""
    world, aid, _approved_pdf = approved
    s = world.service
    later, crls = _sign_after_revocation(world, aid)
    assert [(c.username, c.intact) for c in validate_report(later, [s.root_certificate()], [], None)] == [("a2", True)]
    [check] = validate_report(later, [s.root_certificate()], crls, FUTURE)
    assert check.ades in {"NO_POE", "REVOKED_NO_POE", "REVOKED"} and not check.valid, check.ades
    assert check.revoked is not None and check.revoked.startswith("cessation_of_operation"), check.revoked
    s.issue_crl(world.admin, ROOT_PASSPHRASE)
    draft = s.render_report(aid)
    with pytest.raises(AppError, match="cannot sign"):
        sign_pdf(draft, KeyPair(*s.store.user_key(world.a2.id)), "a2-password", [s.root_certificate()],
                 field="assessor2", box=STAMP_BOXES["assessor2"], page=page_count(draft) - 1, reason="r",
                 ltv=s.pki.ltv(), document_timestamp=True)


def test_a_disabled_or_reset_users_earlier_signatures_stay_valid_in_2033(approved: tuple[World, int, bytes]) -> None:
    """Test the insurer in 2033 with the agency's CRL of that time, after a2 was disabled and a1's password was
    reset (both revoked after the report was signed): every signature of the approved report is still OK, and
    the CRL says why each key was revoked (neither reason is a key compromise)."""
    world, aid, approved_pdf = approved
    s = world.service
    _later, _crls = _sign_after_revocation(world, aid)
    s.reset_password(world.admin, "a1", "a1-new-password-2026")
    crls = crl_issued_at(world, CRL_2032)
    checks = validate_report(approved_pdf, [s.root_certificate()], crls, FUTURE)
    assert [(c.username, c.ades) for c in checks] == [("sup1", "OK"), ("a1", "OK"), ("a2", "OK")]
    assert [c.revoked.split(" ")[0] if c.revoked else None for c in checks] == [
        None, "superseded", "cessation_of_operation"]
    reasons = {e.reason for e in revoked_entries(crls, list(load_certs_from_pemder_data(s.root_certificate()))).values()}
    assert reasons == {"superseded", "cessation_of_operation"}


def test_key_compromise_voids_even_the_earlier_signatures(approved: tuple[World, int, bytes]) -> None:
    """Test the other side of the revocation policy: a2's key revoked for keyCompromise after the report was
    signed voids a2's signature (the revocation time does not bound when a stolen key was used), not the others'."""
    world, _aid, approved_pdf = approved
    s = world.service
    serial = cert_serial(s.store.user_key(world.a2.id)[0])
    root = KeyPair(s.root_certificate(), (s.store.setting("root_key_pem") or "").encode())
    compromised = Revocation(serial, dt.datetime(2027, 5, 1, tzinfo=dt.UTC), x509.ReasonFlags.key_compromise)
    crls = load_crls(build_crl(root, ROOT_PASSPHRASE, [compromised], number=74, now=CRL_2032))
    checks = validate_report(approved_pdf, [s.root_certificate()], crls, FUTURE)
    assert [(c.username, c.valid) for c in checks] == [("sup1", True), ("a1", True), ("a2", False)]
    superseded = Revocation(serial, dt.datetime(2027, 5, 1, tzinfo=dt.UTC), x509.ReasonFlags.superseded)
    crls = load_crls(build_crl(root, ROOT_PASSPHRASE, [superseded], number=75, now=CRL_2032))
    assert all(c.valid for c in validate_report(approved_pdf, [s.root_certificate()], crls, FUTURE))


def test_a_crl_not_signed_by_the_trusted_root_changes_nothing(approved: tuple[World, int, bytes]) -> None:
    """Test that a forged CRL (another root's) neither revokes a signer nor moves the control time."""
    world, _aid, approved_pdf = approved
    s = world.service
    other = create_root("other agency", ROOT_PASSPHRASE, CRL_2032 - dt.timedelta(days=400))
    serial = cert_serial(s.store.user_key(world.a2.id)[0])
    forged = Revocation(serial, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), x509.ReasonFlags.key_compromise)
    crls = load_crls(build_crl(other, ROOT_PASSPHRASE, [forged], number=1, now=CRL_2032))
    assert revoked_entries(crls, list(load_certs_from_pemder_data(s.root_certificate()))) == {}


def test_one_flipped_byte_fails(approved: tuple[World, int, bytes]) -> None:
    """Test tampering: one byte changed inside the first signed revision fails every validator here."""
    world, _aid, pdf = approved
    bad = bytearray(pdf)
    bad[len(bad) // 4] ^= 0x01
    root = world.service.root_certificate()
    try:
        checks = validate_report(bytes(bad), [root], crl_issued_at(world, CRL_2032), FUTURE)
    except AppError:
        checks = []
    assert not checks or not all(c.valid for c in checks)
    assert not verify_pdf(bytes(bad), [root]).ok


def test_pdfsig_and_pyhanko_accept_every_signature(approved: tuple[World, int, bytes], tmp_path: Path) -> None:
    """Test that poppler's pdfsig finds each signature valid and pyHanko's integrity check passes the file."""
    world, _aid, pdf = approved
    submitted = submitted_report(pdf)
    assert submitted is not None
    for name, document, count in (("approved.pdf", pdf, 1), ("submitted.pdf", submitted, 2)):
        path = tmp_path / name
        path.write_bytes(document)
        out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
        blocks = out.split("Signature Field Name:")[1:]
        regular = [b for b in blocks if "Timestamp-" not in b.splitlines()[0]]
        assert len(regular) == count and all("Signature Validation: Signature is Valid." in b for b in regular), out
        assert verify_pdf(document, [world.service.root_certificate()]).ok


def test_attached_submitted_report_is_validated_too(approved: tuple[World, int, bytes]) -> None:
    """Test the approved-report shape: a new PDF embedding the submitted report as submitted-report.pdf and
    signed by the supervisor; validation descends into the attachment and says which file each signer covers."""
    world, _aid, pdf = approved
    s = world.service
    checks = validate_report(pdf, [s.root_certificate()], crl_issued_at(world, CRL_2032), FUTURE)
    assert [(c.file, c.field, c.username, c.ades) for c in checks] == [
        ("", "supervisor", "sup1", "OK"),
        ("submitted-report.pdf", "assessor1", "a1", "OK"),
        ("submitted-report.pdf", "assessor2", "a2", "OK"),
    ]
    assert checks[1].revision < checks[2].revision <= checks[2].revisions


def test_no_tsa_keeps_b_b_and_ades_says_why(world: World) -> None:
    """Test an installation whose TSA secret is not on this machine: signatures stay B-B (no timestamp) and
    AdES validation reports that instead of calling them valid."""
    with_signing_keys(world)
    world.service.pki.secret_path.unlink()
    _aid, pdf = approve_one(world)
    checks = validate_report(pdf, [world.service.root_certificate()], [], dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert len(checks) == 3 and not any(c.valid for c in checks)


def test_revocations_are_append_only(approved: tuple[World, int, bytes]) -> None:
    """Test that the revocation a disabled user got cannot be deleted or changed in the database."""
    world, _aid, _pdf = approved
    world.service.set_disabled(world.admin, "a1")
    assert len(world.service.store.revocations()) == 1
    for sql in ("DELETE FROM revocations", "UPDATE revocations SET revoked_at = '2030-01-01'"):
        with pytest.raises(Exception, match="revocations cannot change"):
            world.service.db.execute(sql)


def test_first_export_adds_a_document_timestamp_and_exporting_again_gives_the_same_file(
    approved: tuple[World, int, bytes], tmp_path: Path,
) -> None:
    """Test the export step of B-LTA: the insurer's copy carries one more document timestamp than the approved
    report (proof that signatures and DSS existed at export), still validates in 2033, and stays byte-identical
    when the same period is exported again."""
    world, aid, approved_pdf = approved
    s = world.service
    for n in (1, 2):
        s.export_package(world.sup1, "sup1-password", tmp_path / f"pkg{n}", "2000-01-01", "2100-01-01")
    first, second = ((tmp_path / f"pkg{n}" / "reports" / f"{aid}.pdf").read_bytes() for n in (1, 2))
    assert first == second and first.startswith(approved_pdf)
    stamps = PdfFileReader(io.BytesIO(first)).embedded_timestamp_signatures
    assert len(stamps) == len(PdfFileReader(io.BytesIO(approved_pdf)).embedded_timestamp_signatures) + 1
    checks = validate_report(first, [s.root_certificate()], crl_issued_at(world, CRL_2032), FUTURE)
    assert [c.ades for c in checks] == ["OK"] * 3

