"""Bad input never crashes: hypothesis feeds malformed answers files, PDFs and insurer packages to ``score``,
``verify`` and ``verify-package`` (in process, through the real CLI entry point). Each run ends with exit 0, 1
or 2, and an exit 2 says one line on stderr: never a traceback.

The number of examples is ``$LTC_FUZZ_EXAMPLES`` per parser (default 60, so CI stays fast; the issue's
acceptance run uses ``LTC_FUZZ_EXAMPLES=2500``: 10,000 in all over the four tests).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.pdfgen.canvas import Canvas

from ltc_assess.cli import main
from ltc_assess.exchange.insurer import FORMAT
from ltc_assess.exchange.package import write_package
from ltc_assess.report.fonts import register
from ltc_assess.report.pdf import STAMP_BOXES
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.crl import build_crl, load_crls
from ltc_assess.signing.keys import create_root, issue_tsa, issue_user
from ltc_assess.signing.ltv import Ltv
from ltc_assess.signing.pades import sign_pdf
from ltc_assess.signing.tsa import local_timestamper

pytestmark = pytest.mark.slow  # hypothesis over the real CLI entry point

EXAMPLES = int(os.environ.get("LTC_FUZZ_EXAMPLES", "60"))
# capsys is read (and so emptied) after every run: sharing it between examples is safe.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
WORK = Path(tempfile.mkdtemp(prefix="ltc-fuzz-"))
BIG = "<5000 digits>"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> int:
    code = main(list(args))
    err = capsys.readouterr().err
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
    return code


@pytest.fixture(scope="module")
def material() -> dict[str, bytes]:
    """A signed PDF, a signed insurer package (zip) and the root that signed them."""
    root = create_root("示例评估机构", "root-passphrase", NOW)
    user = issue_user(root, "root-passphrase", username="supervisor1", display_name="主管", role="supervisor",
                      password="supervisor1-password", now=NOW)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, initialFontName=register())
    canvas.drawString(72, 720, "老年人能力评估报告")
    canvas.showPage()
    canvas.save()
    now = dt.datetime.now(dt.UTC)  # the TSA and the CRL speak of the real time pyHanko checks against
    tsa = issue_tsa(root, "root-passphrase", name="TSA", secret="tsa-secret-0123456789", now=now)
    crls = load_crls(build_crl(root, "root-passphrase", [], number=1, now=now))
    ltv = Ltv(local_timestamper(tsa, "tsa-secret-0123456789", root.cert_pem), [root.cert_pem], crls)
    pdf = sign_pdf(buffer.getvalue(), user, "supervisor1-password", [root.cert_pem], field="supervisor",
                   box=STAMP_BOXES["supervisor"], page=0, reason="测试", ltv=ltv, document_timestamp=True)
    entries = [{"report_file": "reports/1.pdf", "report_sha256": hashlib.sha256(pdf).hexdigest()}]
    package = WORK / "package.zip"
    write_package(package, {"reports/1.pdf": pdf, "assessments.json": json.dumps(entries).encode()},
                  {"format": FORMAT}, lambda data: sign_detached(data, user, "supervisor1-password", [root.cert_pem]))
    (WORK / "root.pem").write_bytes(root.cert_pem)
    return {"pdf": pdf, "package": package.read_bytes()}


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    out = bytearray(data)
    for index, xor in edits:
        out[index % len(out)] ^= xor or 1
    return bytes(out[:cut] if cut else out)


EDITS = st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 255)), min_size=1, max_size=8)
CUTS = st.none() | st.integers(1, 1 << 30)


def test_the_unchanged_inputs_are_valid(material: dict[str, bytes], capsys: pytest.CaptureFixture[str]) -> None:
    """Test the fuzzers start from inputs that pass (so a mutation is what breaks them)."""
    (WORK / "ok.pdf").write_bytes(material["pdf"])
    assert _run(capsys, "verify", str(WORK / "ok.pdf"), "--trust", str(WORK / "root.pem")) == 0
    assert _run(capsys, "verify-package", str(WORK / "package.zip"), "--trust", str(WORK / "root.pem")) == 0


@FUZZ
@given(edits=EDITS, cut=CUTS, in_signature=st.booleans())
def test_verify_survives_flipped_bytes(material: dict[str, bytes], capsys: pytest.CaptureFixture[str],
                                       edits: list[tuple[int, int]], cut: int | None, in_signature: bool) -> None:
    """Test flipped bytes anywhere in a signed PDF, or inside its signature container (/Contents)."""
    pdf = material["pdf"]
    if in_signature:
        start = pdf.rindex(b"/Contents <") + 11
        edits = [(start + (i % 4000), x) for i, x in edits]
        cut = None
    path = WORK / "fuzz.pdf"
    path.write_bytes(_mutate(pdf, edits, cut % len(pdf) if cut else None))
    _run(capsys, "verify", str(path), "--trust", str(WORK / "root.pem"))


@FUZZ
@given(edits=EDITS, cut=CUTS, inner=st.sampled_from(["zip", "manifest.json", "manifest.json.p7s", "assessments.json"]))
def test_verify_package_survives_flipped_bytes(material: dict[str, bytes], capsys: pytest.CaptureFixture[str],
                                               edits: list[tuple[int, int]], cut: int | None, inner: str) -> None:
    """Test flipped bytes in the zip itself, or in the manifest, its signature or the JSON inside it."""
    path = WORK / "fuzz.zip"
    if inner == "zip":
        path.write_bytes(_mutate(material["package"], edits, cut % len(material["package"]) if cut else None))
    else:
        with zipfile.ZipFile(io.BytesIO(material["package"])) as zf:
            files = {n: zf.read(n) for n in zf.namelist()}
        files[inner] = _mutate(files[inner], edits, cut % len(files[inner]) if cut else None)
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in files.items():
                zf.writestr(name, data)
    _run(capsys, "verify-package", str(path), "--trust", str(WORK / "root.pem"))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.sampled_from([0, 5, 10, "0", "首次", -1, BIG]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
CASES = st.fixed_dictionaries(
    {"form": st.sampled_from(["barthel", "gbt42195-2022", "nhsa-ltc-2021@1", "mzt039-2013", "nope", "barthel@99"])},
    optional={"id": JSON, "answers": st.dictionaries(st.sampled_from([f"BI.{i}" for i in range(1, 12)] + ["B.1.1"]),
                                                     JSON, max_size=12) | JSON},
)


def _encode(case: object, how: str) -> bytes:
    text = json.dumps(case, ensure_ascii=False).replace(json.dumps(BIG), "9" * 5000)  # a 5,000-digit integer
    if how == "utf-16":
        return text.encode("utf-16")
    if how == "latin-1-junk":
        return text.encode("utf-8") + b"\xff\xc3("
    return text.encode("utf-8")


@FUZZ
@given(cases=st.lists(st.tuples(CASES | JSON, st.sampled_from(["utf-8", "utf-16", "latin-1-junk"])), min_size=1,
                      max_size=4), raw=st.binary(max_size=64))
def test_score_survives_malformed_answers(capsys: pytest.CaptureFixture[str], cases: list[tuple[object, str]],
                                          raw: bytes) -> None:
    """Test one-case and batch scoring on any JSON value, huge integers, UTF-16, non-UTF-8 and random bytes; a
    batch answers every line, in order, whatever the line before it held."""
    single = WORK / "case.json"
    for case, how in cases:
        single.write_bytes(_encode(case, how))
        _run(capsys, "score", str(single))
    single.write_bytes(raw)
    _run(capsys, "score", str(single))
    lines = [_encode(case, how).replace(b"\n", b" ") for case, how in cases] + [raw.replace(b"\n", b" ")]
    batch = WORK / "cases.jsonl"
    batch.write_bytes(b"\n".join(lines) + b"\n")
    code = main(["score", "--batch", str(batch)])
    out, err = capsys.readouterr()
    assert code in (0, 1) and not err, err
    expected = sum(1 for line in lines if line.strip())
    assert len(out.splitlines()) == expected
