"""Signed file packages (insurer exports and laptop↔office bundles): a set of files, a ``manifest.json``
listing each with its SHA-256, and a detached signature over the manifest.

The manifest makes every byte accountable: verification checks the signature, then that each listed file
is present with its hash, and that nothing unlisted was added. Packages are written as a folder or a
``.zip`` with fixed timestamps and order, so the same content gives the same bytes (idempotent re-export).
The signature scheme is passed in (``Signer``/``SignatureCheck``), so this module needs no keys of its own.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.files import FILE_MODE, touch_private

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)

Signer = Callable[[bytes], bytes]  # manifest bytes -> detached signature
SignatureCheck = Callable[[bytes, bytes], str]  # (manifest, signature) -> signer description; raises if bad


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name in (MANIFEST, SIGNATURE):
        raise AppError(ErrorCode.INVALID, f"bad file name in package: {name!r}")
    return str(path)


def build_manifest(files: Mapping[str, bytes], meta: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest object: ``meta`` plus the sorted file list with sizes and hashes."""
    entries = [{"path": _check_name(n), "sha256": sha256(files[n]), "bytes": len(files[n])} for n in sorted(files)]
    return {**meta, "files": entries}


def write_package(out: Path, files: Mapping[str, bytes], meta: Mapping[str, Any], sign: Signer) -> dict[str, Any]:
    """Write files + manifest + signature to ``out`` (a folder, or a zip when it ends in ``.zip``).

    Returns the manifest. An existing package at ``out`` is replaced only after the new one is complete.
    """
    manifest = build_manifest(files, meta)
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    everything = {**{k: files[k] for k in sorted(files)}, MANIFEST: manifest_bytes, SIGNATURE: sign(manifest_bytes)}
    tmp = out.with_name(out.name + ".partial")
    if out.suffix == ".zip":
        tmp.unlink(missing_ok=True)
        touch_private(tmp)  # personal data: 0600 from the first byte
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in everything.items():
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = FILE_MODE << 16
                zf.writestr(info, data)
        tmp.replace(out)
    else:
        if tmp.exists():
            _remove_tree(tmp)
        for name, data in everything.items():
            target = tmp / name
            touch_private(target)  # 0600 files in 0700 folders
            target.write_bytes(data)
        if out.exists():
            _remove_tree(out)
        tmp.rename(out)
    return manifest


def _remove_tree(path: Path) -> None:
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    path.rmdir()


def read_package(path: Path) -> dict[str, bytes]:
    """Every file of a package (folder or zip) by its relative POSIX name."""
    if not path.exists():
        raise AppError(ErrorCode.NOT_FOUND, f"no package at {path}")
    if path.is_dir():
        return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
    try:
        with zipfile.ZipFile(path) as zf:
            return {name: zf.read(name) for name in zf.namelist() if not name.endswith("/")}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise AppError(ErrorCode.INTEGRITY, f"{path}: not a readable package ({exc})") from None


@dataclass(frozen=True, slots=True)
class VerifiedPackage:
    """A package whose signature, hashes and file list all checked out."""

    manifest: dict[str, Any]
    files: dict[str, bytes]  # the listed files (manifest and signature excluded)
    signer: str


def verify_package(path: Path, check_signature: SignatureCheck) -> VerifiedPackage:
    """Verify a package; raises AppError(INTEGRITY/SIGNATURE) naming the first bad file.

    Order: manifest present → signature valid and trusted → every listed file present with its hash →
    no unlisted file.
    """
    files = read_package(path)
    manifest_bytes = files.pop(MANIFEST, None)
    signature = files.pop(SIGNATURE, None)
    if manifest_bytes is None or signature is None:
        missing = MANIFEST if manifest_bytes is None else SIGNATURE
        raise AppError(ErrorCode.INTEGRITY, f"{missing}: missing from the package", where=str(path))
    signer = check_signature(manifest_bytes, signature)
    try:
        manifest = json.loads(manifest_bytes)
        entries = manifest["files"]
    except (ValueError, KeyError, TypeError):
        raise AppError(ErrorCode.INTEGRITY, f"{MANIFEST}: not a valid manifest", where=str(path)) from None
    listed = set()
    for entry in entries:
        name = entry["path"]
        listed.add(name)
        data = files.get(name)
        if data is None:
            raise AppError(ErrorCode.INTEGRITY, f"{name}: listed in the manifest but missing", where=str(path))
        if sha256(data) != entry["sha256"] or len(data) != entry["bytes"]:
            raise AppError(ErrorCode.INTEGRITY, f"{name}: content does not match the manifest hash", where=str(path))
    extra = sorted(set(files) - listed)
    if extra:
        raise AppError(ErrorCode.INTEGRITY, f"{extra[0]}: not listed in the manifest", where=str(path))
    return VerifiedPackage(manifest=manifest, files=files, signer=signer)
