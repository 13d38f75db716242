"""Bad bundle input never crashes: zip bombs are refused with bounded memory before they are expanded, and
hypothesis-generated files and records end in one clear AppError (or a refusal), never a traceback."""

from __future__ import annotations

import copy
import json
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from world import World, complete_barthel, with_signing_keys

from ltc_assess import bundle_seal, incoming, replay
from ltc_assess.bundles import export_bundle, import_bundle
from ltc_assess.errors import AppError, LtcError
from ltc_assess.exchange.package import MANIFEST, SIGNATURE, read_package
from ltc_assess.signing.transport import MAGIC, seal

pytestmark = pytest.mark.slow  # fuzzes signed bundles (hypothesis) over signed reports

SIGNERS = {"assessor1": "a1-password", "assessor2": "a2-password"}
BOMB_BYTES = 512 << 20  # inflates from about half a megabyte
MEMORY_BOUND = 64 << 20


@pytest.fixture
def bundle(world: World, tmp_path: Path) -> Iterator[tuple[World, Path]]:
    """A genuine bundle from a1 holding one submitted assessment."""
    with_signing_keys(world)
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid, SIGNERS)
    sealed = tmp_path / "sealed.zip"
    export_bundle(world.service, world.a1, "a1-password", sealed)
    out = tmp_path / "genuine.zip"  # the signed package inside, as an insider holding the transport key has it
    with bundle_seal.opened(world.service, sealed, 1 << 30) as inner:
        out.write_bytes(inner.read_bytes())
    yield world, out


def _with_bomb(genuine: Path, out: Path, name: str) -> Path:
    """The genuine bundle with ``name`` replaced by half a gigabyte of zeros (deflated)."""
    files = read_package(genuine)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for other, data in files.items():
            if other != name:
                zf.writestr(other, data)
        with zf.open(name, "w", force_zip64=True) as handle:
            chunk = bytes(1 << 20)
            for _ in range(BOMB_BYTES >> 20):
                handle.write(chunk)
    return out


def _peak(action: Any) -> tuple[BaseException | None, int]:
    tracemalloc.start()
    try:
        action()
        error = None
    except AppError as exc:
        error = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak


@pytest.mark.parametrize(
    ("entry", "message"),
    [("records.json", "records.json: content does not match"), (MANIFEST, "manifest.json: larger than")],
)
def test_zip_bomb_is_refused_with_bounded_memory(bundle: tuple[World, Path], tmp_path: Path, entry: str,
                                                 message: str, english: None) -> None:
    """Test that a bundle whose records (or manifest) inflate to 512 MiB is refused using under 64 MiB."""
    world, genuine = bundle
    bomb = _with_bomb(genuine, tmp_path / "bomb.zip", entry)
    assert bomb.stat().st_size < 2 << 20
    error, peak = _peak(lambda: import_bundle(world.service, world.sup1, bomb))
    assert error is not None and message in str(error)
    assert peak < MEMORY_BOUND, f"peak {peak >> 20} MiB"


def test_unsigned_bomb_is_refused_before_expanding(bundle: tuple[World, Path], tmp_path: Path, english: None) -> None:
    """Test that a bomb under a forged signature fails on the signature, without the bomb being read."""
    world, genuine = bundle
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, read_package(genuine)[MANIFEST])
        zf.writestr(SIGNATURE, b"\x30\x03\x02\x01\x00")
        with zf.open("records.json", "w", force_zip64=True) as handle:
            for _ in range(BOMB_BYTES >> 20):
                handle.write(bytes(1 << 20))
    error, peak = _peak(lambda: import_bundle(world.service, world.sup1, forged))
    assert error is not None and "signature" in str(error) and "records.json" not in str(error)
    assert peak < MEMORY_BOUND


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096), cut=st.integers(min_value=0, max_value=10_000),
       flip=st.integers(min_value=0, max_value=10_000))
def test_fuzzed_bundle_files_give_one_clear_error(bundle: tuple[World, Path], tmp_path: Path, data: bytes,
                                                  cut: int, flip: int) -> None:
    """Test random bytes, and the genuine bundle cut short or with a byte flipped, end in AppError only."""
    world, genuine = bundle
    raw = genuine.read_bytes()
    sealed = seal(raw, world.service.store.setting(bundle_seal.TRANSPORT_CERT).encode(),  # type: ignore[union-attr]
                  world.service.root_certificate())
    for variant in (data, raw[: max(1, len(raw) - cut)], _flipped(raw, flip), _flipped(sealed, flip),
                    MAGIC + data):
        path = tmp_path / "fuzz.zip"
        path.write_bytes(variant)
        try:
            import_bundle(world.service, world.sup1, path)
        except LtcError:
            pass


def _flipped(raw: bytes, at: int) -> bytes:
    data = bytearray(raw)
    data[at % len(data)] ^= 0xFF
    return bytes(data)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(value=JSON)
def test_fuzzed_records_json_gives_one_clear_error(value: Any) -> None:
    """Test that any JSON as records.json parses or fails with AppError naming the place."""
    try:
        incoming.parse_records(json.dumps(value).encode(), "fuzz.zip")
    except AppError as exc:
        assert exc.where == "fuzz.zip"


def _genuine_records(world: World, genuine: Path) -> list[dict[str, Any]]:
    return json.loads(read_package(genuine)["records.json"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.lists(st.sampled_from(["fields", "users", "subject", "answers", "evidence", "reports", "uid",
                                      "status", "payload", "assessor1_id", "BI.1", 0, "signature", "pdf",
                                      "version_no", "id_number"]), min_size=1, max_size=3),
       value=JSON)
def test_mutated_records_are_refused_or_rejected_never_crash(bundle: tuple[World, Path], path: list[Any],
                                                             value: Any) -> None:
    """Test that a genuine record with any part replaced (as a signed-in attacker could) parses to AppError or a
    refusal line from replay, never a traceback."""
    world, genuine = bundle
    records = copy.deepcopy(_genuine_records(world, genuine))
    _set(records[0], path, value)
    try:
        parsed = incoming.parse_records(json.dumps(records).encode(), "fuzz.zip")
    except AppError:
        return
    local = world.service.store.assessment_by_uid(parsed[0]["uid"])
    why = replay.refusal(world.service.receiving, parsed[0], None if local is None else local, world.a1, parsed)
    assert why is None or isinstance(why, str)


def _set(target: Any, path: list[Any], value: Any) -> None:
    for key in path[:-1]:
        if isinstance(target, dict) and key in target:
            target = target[key]
        elif isinstance(target, list) and isinstance(key, int) and target:
            target = target[key % len(target)]
        else:
            break
    if isinstance(target, dict):
        target[path[-1]] = value
    elif isinstance(target, list) and target:
        target[0] = value


def test_read_package_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that reading a package whole also stops at the per-file bound."""
    from ltc_assess.exchange import package

    out = tmp_path / "p.zip"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big", bytes(1 << 20))
    monkeypatch.setattr(package, "MAX_FILE_BYTES", 1000)
    with pytest.raises(AppError, match="big：超过允许的 1000 字节"):
        package.read_package(out)
