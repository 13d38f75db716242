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
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.files import FILE_MODE, touch_private
from ltc_assess.i18n import _

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
# Bounds applied while reading, before anything is expanded (a small zip can inflate to gigabytes).
MAX_MANIFEST_BYTES = 16 << 20
MAX_SIGNATURE_BYTES = 1 << 20
MAX_FILE_BYTES = 1 << 30
MAX_PACKAGE_BYTES = 4 << 30
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    zlib.error,
)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)

Signer = Callable[[bytes], bytes]  # manifest bytes -> detached signature
SignatureCheck = Callable[[bytes, bytes], str]  # (manifest, signature) -> signer description; raises if bad


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name in (MANIFEST, SIGNATURE):
        raise AppError(ErrorCode.INVALID, _("包中的文件名无效：{name!r}").format(name=name))
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
        tmp.parent.mkdir(parents=True, exist_ok=True)
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


class _Source:
    """The files of a package (folder or zip) read one at a time and never beyond a bound, so that a zip bomb
    or an oversized entry is refused before it is expanded into memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        if not path.exists():
            raise AppError(ErrorCode.NOT_FOUND, _("{path} 处没有包").format(path=path))
        if path.is_dir():
            self.sizes = {
                p.relative_to(path).as_posix(): p.stat().st_size for p in sorted(path.rglob("*")) if p.is_file()
            }
            return
        try:
            self.zip = zipfile.ZipFile(path)
            infos = [i for i in self.zip.infolist() if not i.is_dir()]
        except (*_ZIP_ERRORS, OSError) as exc:
            raise AppError(ErrorCode.INTEGRITY, _("{path}：无法读取的包（{exc}）").format(path=path, exc=exc)) from None
        self.sizes = {i.filename: i.file_size for i in infos}
        if len(self.sizes) != len(infos):
            raise AppError(ErrorCode.INTEGRITY, _("{path}：无法读取的包（有文件名重复出现）").format(path=path))

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()

    def read(self, name: str, limit: int) -> bytes:
        """The file's bytes; AppError when it holds more than ``limit`` bytes (read at most ``limit + 1``)."""
        try:
            if self.zip is None:
                with (self.path / name).open("rb") as handle:
                    data = handle.read(limit + 1)
            else:
                with self.zip.open(name) as handle:
                    data = handle.read(limit + 1)
        except (*_ZIP_ERRORS, OSError) as exc:
            raise AppError(
                ErrorCode.INTEGRITY, _("{path}：无法读取的包（{exc}）").format(path=self.path, exc=exc)
            ) from None
        if len(data) > limit:
            raise AppError(
                ErrorCode.INTEGRITY,
                _("{name}：超过允许的 {limit} 字节").format(name=name, limit=limit),
                where=str(self.path),
            )
        return data


def read_package(path: Path) -> dict[str, bytes]:
    """Every file of a package (folder or zip) by its relative POSIX name, each at most ``MAX_FILE_BYTES``."""
    source = _Source(path)
    try:
        return {name: source.read(name, MAX_FILE_BYTES) for name in source.sizes}
    finally:
        source.close()


@dataclass(frozen=True, slots=True)
class VerifiedPackage:
    """A package whose signature, hashes and file list all checked out."""

    manifest: dict[str, Any]
    files: dict[str, bytes]  # the listed files (manifest and signature excluded)
    signer: str


def verify_package(path: Path, check_signature: SignatureCheck, max_bytes: int = MAX_PACKAGE_BYTES) -> VerifiedPackage:
    """Verify a package; raises AppError(INTEGRITY/SIGNATURE) naming the first bad file.

    Order: manifest present → signature valid and trusted (before anything else is expanded) → every listed
    file present with its hash, read no further than the size the signed manifest gives → no unlisted file.
    ``max_bytes`` bounds what the signed manifest may list in all (the memory an import may take).
    """
    source = _Source(path)
    try:
        return _verify(source, check_signature, max_bytes)
    finally:
        source.close()


def _verify(source: _Source, check_signature: SignatureCheck, max_bytes: int) -> VerifiedPackage:
    where = str(source.path)
    for name in (MANIFEST, SIGNATURE):
        if name not in source.sizes:
            raise AppError(ErrorCode.INTEGRITY, _("{name}：包中缺少此文件").format(name=name), where=where)
    manifest_bytes = source.read(MANIFEST, MAX_MANIFEST_BYTES)
    signer = check_signature(manifest_bytes, source.read(SIGNATURE, MAX_SIGNATURE_BYTES))
    entries = _entries(manifest_bytes, where, max_bytes)
    files = {}
    for name, size, digest in entries:
        if name not in source.sizes:
            raise AppError(ErrorCode.INTEGRITY, _("{name}：清单中列出但缺失").format(name=name), where=where)
        try:
            data = source.read(name, size)
        except AppError:
            data = b""
        if sha256(data) != digest or len(data) != size:
            raise AppError(ErrorCode.INTEGRITY, _("{name}：内容与清单中的哈希值不符").format(name=name), where=where)
        files[name] = data
    extra = sorted(set(source.sizes) - set(files) - {MANIFEST, SIGNATURE})
    if extra:
        raise AppError(ErrorCode.INTEGRITY, _("{name}：未列在清单中").format(name=extra[0]), where=where)
    return VerifiedPackage(manifest=json.loads(manifest_bytes), files=files, signer=signer)


def _entries(manifest_bytes: bytes, where: str, max_bytes: int) -> list[tuple[str, int, str]]:
    """(path, bytes, sha256) of each listed file; AppError when the manifest is not one."""
    bad = AppError(ErrorCode.INTEGRITY, _("{manifest}：清单无效").format(manifest=MANIFEST), where=where)
    try:
        manifest = json.loads(manifest_bytes)
        entries = [(e["path"], e["bytes"], e["sha256"]) for e in manifest["files"]]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise bad from None
    for name, size, digest in entries:
        if not (
            isinstance(name, str) and isinstance(digest, str) and type(size) is int and 0 <= size <= MAX_FILE_BYTES
        ):
            raise bad
    if sum(size for _n, size, _d in entries) > max_bytes:
        raise AppError(
            ErrorCode.INTEGRITY, _("{manifest}：包的大小超出允许范围").format(manifest=MANIFEST), where=where
        )
    return entries
