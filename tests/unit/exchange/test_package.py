"""Signed packages: round trip as folder and zip, idempotent bytes, and every kind of tampering caught."""

from __future__ import annotations

import hashlib
import hmac
import json
import zipfile
from pathlib import Path

import pytest

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.exchange.package import MANIFEST, SIGNATURE, verify_package, write_package

KEY = b"test-key"
FILES = {"assessments.json": b'[{"id": 1}]', "reports/1.pdf": b"%PDF-1.7 fake", "assessments.csv": "\ufeffid\n1\n".encode()}
META = {"format": "ltc-assess-export", "format_version": 1, "agency": "示例评估机构"}


def sign(data: bytes) -> bytes:
    return hmac.new(KEY, data, hashlib.sha256).digest()


def check(data: bytes, sig: bytes) -> str:
    if not hmac.compare_digest(sign(data), sig):
        raise AppError(ErrorCode.SIGNATURE, "manifest signature does not verify")
    return "tester"


@pytest.fixture(params=["dir", "zip"])
def package(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    out = tmp_path / ("pkg.zip" if request.param == "zip" else "pkg")
    write_package(out, FILES, META, sign)
    return out


def test_round_trip(package: Path) -> None:
    """Test that a written package verifies and returns the files and manifest."""
    verified = verify_package(package, check)
    assert verified.files == FILES and verified.signer == "tester"
    assert verified.manifest["agency"] == "示例评估机构"
    assert [f["path"] for f in verified.manifest["files"]] == sorted(FILES)


def test_rewrite_is_byte_identical(tmp_path: Path) -> None:
    """Test that exporting the same content twice gives identical zip bytes (idempotent)."""
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    write_package(a, FILES, META, sign)
    write_package(b, FILES, META, sign)
    assert a.read_bytes() == b.read_bytes()


def _rewrite_zip(path: Path, change: dict[str, bytes | None]) -> None:
    with zipfile.ZipFile(path) as zf:
        content = {n: zf.read(n) for n in zf.namelist()}
    for name, data in change.items():
        if data is None:
            content.pop(name)
        else:
            content[name] = data
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in content.items():
            zf.writestr(name, data)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"reports/1.pdf": b"%PDF-1.7 fakf"}, "reports/1.pdf: content does not match"),
        ({"assessments.json": None}, "assessments.json: listed in the manifest but missing"),
        ({"extra.txt": b"hi"}, "extra.txt: not listed"),
        ({SIGNATURE: None}, "manifest.json.p7s: missing"),
    ],
)
def test_tampering_is_named(tmp_path: Path, change: dict[str, bytes | None], fragment: str, english: None) -> None:
    """Test that a changed, removed or added file, or a missing signature, is rejected naming the file."""
    out = tmp_path / "p.zip"
    write_package(out, FILES, META, sign)
    _rewrite_zip(out, change)
    with pytest.raises(AppError) as info:
        verify_package(out, check)
    assert fragment in str(info.value)


def test_manifest_edit_breaks_signature(tmp_path: Path) -> None:
    """Test that editing the manifest (e.g. to match a forged file) fails the signature check."""
    out = tmp_path / "p"
    write_package(out, FILES, META, sign)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["agency"] = "伪造"
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(AppError, match="signature"):
        verify_package(out, check)


def test_truncated_zip_is_rejected(tmp_path: Path, english: None) -> None:
    """Test that a truncated package file is reported, not a traceback."""
    out = tmp_path / "p.zip"
    write_package(out, FILES, META, sign)
    out.write_bytes(out.read_bytes()[:-40])
    with pytest.raises(AppError, match="not a readable package"):
        verify_package(out, check)


def test_path_escape_names_are_refused(tmp_path: Path, english: None) -> None:
    """Test that a file name escaping the package folder cannot be written."""
    with pytest.raises(AppError, match="bad file name"):
        write_package(tmp_path / "x", {"../evil": b""}, META, sign)
