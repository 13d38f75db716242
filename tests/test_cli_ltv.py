"""The long-term-validation commands as users run them: keys tsa-serve / tsa-url / crl, verify --at --crl."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asn1crypto import pem
from cryptography import x509

from ltc_assess.pki import AgencyPki
from ltc_assess.signing.crl import EXPIRED_CERTS_ON_CRL, build_crl
from ltc_assess.signing.keys import KeyPair, create_root
from ltc_assess.signing.validation import validate_report
from tests.cli_runner import REPO, run
from tests.unit.signing.test_ltv import CRL_2032, FUTURE, ROOT_PASSPHRASE, approve_one, crl_issued_at
from tests.world import World, with_signing_keys

ENGLISH = {"LTC_LANG": "en"}  # the lines matched below are verify's English wording

pytestmark = pytest.mark.slow  # subprocesses, a TSA server, signing and validation


def _pem(crls: list) -> bytes:
    return b"".join(pem.armor("X509 CRL", c.dump()) for c in crls)


def test_real_rfc3161_exchange_with_tsa_serve_on_localhost(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that `keys tsa-serve` answers RFC 3161 queries over HTTP on 127.0.0.1, that `keys tsa-url` makes the
    signing use it, and that every signature and document timestamp it issued validates in 2033."""
    with_signing_keys(world)
    db = str(world.service.path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "LTC_ASSESS_PASSWORD": "admin-pass"}
    server = subprocess.Popen(
        [sys.executable, "-m", "ltc_assess", "keys", "tsa-serve", "--listen", "127.0.0.1:0", "--as", "admin",
         "--db", db],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )
    try:
        first = server.stdout.readline() if server.stdout else ""
        url = re.search(r"http://127\.0\.0\.1:\d+/", first)
        assert url, first + (server.stderr.read() if server.stderr and server.poll() is not None else "")
        monkeypatch.setenv("LTC_ASSESS_PASSWORD", "admin-pass")
        proc = run("keys", "tsa-url", url.group(0), "--as", "admin", "--db", db)
        assert proc.returncode == 0, proc.stderr
        _aid, pdf = approve_one(world)
    finally:
        server.terminate()
        log, _err = server.communicate(timeout=30)
    posts = [line for line in log.splitlines() if '"POST / HTTP/1.1" 200' in line]
    assert len(posts) >= 5, log  # 3 signature timestamps + 2 document timestamps (+ pyHanko's size probes)
    checks = validate_report(pdf, [world.service.root_certificate()], crl_issued_at(world, CRL_2032), FUTURE)
    assert [c.ades for c in checks] == ["OK"] * 3


def test_keys_crl_lists_a_disabled_users_certificate(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that disabling a user revokes their certificate and `keys crl --out` publishes it, signed by the root."""
    with_signing_keys(world)
    db, out = str(world.service.path), tmp_path / "crl.pem"
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "admin-pass")
    monkeypatch.setenv("LTC_ASSESS_ROOT_PASSPHRASE", ROOT_PASSPHRASE)
    assert run("users", "disable", "a2", "--as", "admin", "--db", db).returncode == 0
    proc = run("keys", "crl", "--out", str(out), "--as", "admin", "--db", db)
    assert proc.returncode == 0, proc.stderr
    crl = x509.load_pem_x509_crl(out.read_bytes())
    root = x509.load_pem_x509_certificate(world.service.root_certificate())
    assert crl.is_signature_valid(root.public_key())
    a2 = x509.load_pem_x509_certificate(world.service.store.user_key(world.a2.id)[0])
    a1 = x509.load_pem_x509_certificate(world.service.store.user_key(world.a1.id)[0])
    entry = crl.get_revoked_certificate_by_serial_number(a2.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.cessation_of_operation
    assert crl.extensions.get_extension_for_oid(EXPIRED_CERTS_ON_CRL).critical is False  # entries outlive expiry
    assert crl.get_revoked_certificate_by_serial_number(a1.serial_number) is None
    monkeypatch.setenv("LTC_ASSESS_ROOT_PASSPHRASE", "wrong-passphrase")
    bad = run("keys", "crl", "--out", str(out), "--as", "admin", "--db", db)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_verify_at_2033_with_that_years_crl(world: World, tmp_path: Path) -> None:
    """Test the insurer's command: `verify --at 2033-01-01 --crl` says VALID per signature and exits 0; the same
    without a CRL current in 2033 is no proof; one changed byte fails."""
    with_signing_keys(world)
    _aid, pdf = approve_one(world)
    report, root, crl = tmp_path / "r.pdf", tmp_path / "root.pem", tmp_path / "crl2032.pem"
    report.write_bytes(pdf)
    root.write_bytes(world.service.root_certificate())
    crl.write_bytes(_pem(crl_issued_at(world, CRL_2032)))
    proc = run("verify", str(report), "--trust", str(root), "--at", "2033-01-01", "--crl", str(crl), env=ENGLISH)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if re.match(r"\s+\d\. ", line)]
    assert len(lines) == 3 and all(line.endswith("VALID") and "revision" in line for line in lines), proc.stdout
    # the approved file's own signature first, then the two in the submitted report it embeds
    assert [re.search(r", (\w+):", line).group(1) for line in lines] == ["supervisor", "assessor1", "assessor2"]
    bad = bytearray(pdf)
    bad[len(bad) // 4] ^= 0x01
    report.write_bytes(bytes(bad))
    proc = run("verify", str(report), "--trust", str(root), "--at", "2033-01-01", "--crl", str(crl), env=ENGLISH)
    assert proc.returncode == 1 and "NOT VALID" in proc.stdout


def test_verify_at_2033_after_a_signer_was_disabled_still_says_valid(world: World, tmp_path: Path) -> None:
    """Test the insurer's command after a2 was disabled (revoked) once the report was approved: with the CRL of
    2032 every signature is still VALID, and a2's line says that and why the certificate was revoked."""
    with_signing_keys(world)
    _aid, pdf = approve_one(world)
    time.sleep(1.05)  # CRL revocation times are to the second: keep the revocation after the signatures' second
    world.service.set_disabled(world.admin, "a2")
    report, root, crl = tmp_path / "r.pdf", tmp_path / "root.pem", tmp_path / "crl2032.pem"
    report.write_bytes(pdf)
    root.write_bytes(world.service.root_certificate())
    crl.write_bytes(_pem(crl_issued_at(world, CRL_2032)))
    proc = run("verify", str(report), "--trust", str(root), "--at", "2033-01-01", "--crl", str(crl), env=ENGLISH)
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith("\nVALID"), proc.stdout + proc.stderr
    [a2_line] = [line for line in proc.stdout.splitlines() if ", assessor2:" in line]
    assert "— VALID (certificate revoked: cessation_of_operation 20" in a2_line, a2_line


def test_verify_bad_at_or_crl_is_one_line_exit_2(world: World, tmp_path: Path) -> None:
    """Test that a junk --at date or a --crl file that is no CRL is bad input: exit 2, one line, no traceback."""
    with_signing_keys(world)
    report, junk = tmp_path / "r.pdf", tmp_path / "junk.pem"
    report.write_bytes(world.service.render_report(approve_one(world)[0]))
    junk.write_text("not a crl", encoding="utf-8")
    for extra in (["--at", "next tuesday"], ["--crl", str(junk)]):
        proc = run("verify", str(report), *extra)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_a_laptop_with_an_expired_crl_signs_b_t_until_it_installs_the_offices_newer_crl(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test the offline laptop: with only a CRL past its next update it cannot vouch for signers (no DSS, B-T);
    `keys crl --install` takes the office's newer CRL (signed by our root, higher number) and the DSS is back.
    A CRL from another root, or not newer, is refused with one line (exit 2)."""
    with_signing_keys(world)
    s, db = world.service, str(world.service.path)
    stale_time = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    AgencyPki(s.store, s.path, clock=lambda: stale_time).issue_crl(world.admin.id, ROOT_PASSPHRASE)
    ltv = s.pki.ltv()
    assert ltv is not None and ltv.crls == []
    office = tmp_path / "office.pem"
    root = KeyPair(s.root_certificate(), (s.store.setting("root_key_pem") or "").encode())
    office.write_bytes(build_crl(root, ROOT_PASSPHRASE, [], number=9, now=dt.datetime.now(dt.UTC)))
    monkeypatch.setenv("LTC_ASSESS_PASSWORD", "admin-pass")
    proc = run("keys", "crl", "--install", str(office), "--as", "admin", "--db", db)
    assert proc.returncode == 0 and "#9" in proc.stdout, proc.stderr
    ltv = s.pki.ltv()
    assert ltv is not None and len(ltv.crls) == 1
    foreign_root = create_root("别的机构", ROOT_PASSPHRASE, dt.datetime.now(dt.UTC))
    foreign = tmp_path / "foreign.pem"
    foreign.write_bytes(build_crl(foreign_root, ROOT_PASSPHRASE, [], number=99, now=dt.datetime.now(dt.UTC)))
    for path in (office, foreign):
        bad = run("keys", "crl", "--install", str(path), "--as", "admin", "--db", db)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
