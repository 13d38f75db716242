"""A 复评 through the office server (real PostgreSQL): the original decision is approved at the office (A) and
synced; after an objection a 复评 is approved on A and synced. At another level it supersedes the original on the
server (the insurer API shows the original ``superseded`` with ``superseded_by`` naming the 复评, moved past the
insurer's cursor) and on laptop B after its pull; at the same level it confirms it (``confirmed_by``, in the API
and in ``export --pg`` as in the office's package). A 复评 whose bundle lost its signed reference to the original
supersedes nothing — the mirror of ``tests/unit/lifecycle/test_review_over_bundles.py`` over sync."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from unit.lifecycle.test_review_over_bundles import _office, _resigned, _user, review_on_objection
from world import World

from ltc_assess.bundles import BundleRefused, export_bundle
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.server.app import create_app
from ltc_assess.server.enrol import enrol
from ltc_assess.storage.pg.migrations import migrate
from ltc_assess.workflow import Status

from .conftest import Agency, office_client, pg_store_do
from .test_lifecycle_sync import _insurer, _sync
from .test_server_export import _export


@pytest.fixture
def office(world: World, tmp_path: Path, pg: str) -> Iterator[tuple[Agency, int]]:
    """Office A with the original approved under 成都's policy (and laptop B, a copy made then), the server
    enrolled from A; A and then B have synced. Yields the agency (B as both laptops) and the original's id."""
    s, laptop, original_id, _none = _office(world, tmp_path, with_review=False)
    migrate(pg)
    pg_store_do(pg, lambda store: enrol(s, world.admin, store))
    with TestClient(create_app(pg, pool_size=4), base_url="https://testserver") as client:
        agency = Agency(world, s, laptop, laptop, pg, client._transport)
        assert _sync(agency, s, "sup1").refused == []
        assert _sync(agency, laptop, "sup2").refused == []  # B in step with the server: the original approved
        yield agency, original_id
    laptop.close()


def _decisions(agency: Agency, tmp_path: Path, since: int = 0) -> tuple[dict[str, dict], int]:
    insurer = _insurer(agency, tmp_path, f"insurer{len(list(tmp_path.glob('insurer*')))}")
    try:
        page = insurer.call("GET", "/api/v1/decisions", params={"since": since})
    finally:
        insurer.close()
    return {d["uid"]: d for d in page["decisions"]}, page["cursor"]


def _server_status(agency: Agency, uid: str) -> str | None:
    row = pg_store_do(agency.conninfo, lambda s: s.one("SELECT status FROM assessments WHERE uid = %s", [uid]))
    return None if row is None else str(row["status"])


def test_a_review_at_another_level_supersedes_the_original_on_the_server_and_the_laptop(
    office: tuple[Agency, int], tmp_path: Path
) -> None:
    agency, original_id = office
    s = agency.office
    uid = s.assessment(original_id).uid
    before, cursor = _decisions(agency, tmp_path)
    assert before[uid]["status"] == "approved" and before[uid]["superseded_by"] is None
    review_id = review_on_objection(agency.world, original_id)
    review_uid = s.assessment(review_id).uid
    report = _sync(agency, s, "sup3")
    assert report.refused == [], report.refused
    assert (_server_status(agency, uid), _server_status(agency, review_uid)) == ("superseded", "approved")
    after, _cursor = _decisions(agency, tmp_path, since=cursor)  # what changed since the insurer last read
    assert after[uid]["status"] == "superseded" and after[uid]["superseded_by"] == review_uid
    assert after[uid]["confirmed_by"] is None
    assert after[review_uid]["status"] == "approved" and after[review_uid]["superseded_by"] is None
    assert after[review_uid]["level"] != after[uid]["level"]
    # laptop B (a supervisor's desktop that held the original approved) pulls
    laptop = agency.laptop1
    pulled = _sync(agency, laptop, "sup2")
    assert pulled.refused == [], pulled.refused
    old, new = laptop.queries.assessment_by_uid(uid), laptop.queries.assessment_by_uid(review_uid)
    assert old is not None and old.status == Status.SUPERSEDED
    assert new is not None and new.status == Status.APPROVED
    lc = Lifecycle(laptop)
    assert lc.conclusion(old.id)["superseded_by"] == new.id
    assert [o["review_id"] for o in lc.reviews(old.id)] == [new.id]


def test_a_review_at_the_same_level_confirms_the_original_in_the_api_and_the_server_package(
    office: tuple[Agency, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency, original_id = office
    s = agency.office
    uid = s.assessment(original_id).uid
    review_id = review_on_objection(agency.world, original_id, same_level=True)
    review_uid = s.assessment(review_id).uid
    assert _sync(agency, s, "sup3").refused == []
    assert (_server_status(agency, uid), _server_status(agency, review_uid)) == ("approved", "approved")
    decisions, _cursor = _decisions(agency, tmp_path)
    assert decisions[uid]["confirmed_by"] == review_uid and decisions[uid]["superseded_by"] is None
    assert decisions[review_uid]["confirmed_by"] is None
    for name, pg in (("office", ()), ("server", ("--pg", agency.conninfo))):
        package = tmp_path / name
        assert _export(agency, package, monkeypatch, *pg) == 0
        entries = sorted(
            json.loads((package / "assessments.json").read_text(encoding="utf-8")), key=lambda e: e["approved_at"]
        )
        original, review = entries  # the original approved first; each package numbers its own records
        assert original["conclusion"]["confirmed_by"] == review["id"], name
        assert original["conclusion"]["superseded_by"] is None and review["conclusion"]["confirmed_by"] is None


def test_a_review_whose_bundle_lost_its_signed_reference_supersedes_nothing_on_the_server(
    office: tuple[Agency, int], tmp_path: Path
) -> None:
    """The genuine push of the 复评, edited by a supervisor (sup2, re-signed with their own key) so that the 复评 no
    longer names the original its approval was signed for, and pushed: the 复评 is refused (its signed approval no
    longer matches), so nothing vouches for the original being superseded — it stays approved for the insurer."""
    agency, original_id = office
    s = agency.office
    uid = s.assessment(original_id).uid
    review_id = review_on_objection(agency.world, original_id)
    review_uid = s.assessment(review_id).uid
    genuine = tmp_path / "office.zip"
    export_bundle(s, _user(s, "sup3"), "sup3-password", genuine, everything=True)

    def unlinked(rec: dict) -> None:  # type: ignore[type-arg]
        if rec.get("reviews") is not None:
            rec["reviews"] = None

    forged = _resigned(s, genuine, tmp_path / "forged.zip", "sup2", unlinked)
    client = office_client(agency, "sup2")
    try:
        refusals = client.push(forged)["refused"]
    except BundleRefused as refused:
        refusals = refused.refusals
    finally:
        client.close()
    assert any(uid in line and "已被取代" in line for line in refusals), refusals
    assert any(review_uid in line for line in refusals), refusals
    assert (_server_status(agency, uid), _server_status(agency, review_uid)) == ("approved", None)
    decisions, _cursor = _decisions(agency, tmp_path)
    assert decisions[uid]["status"] == "approved" and decisions[uid]["superseded_by"] is None


def test_a_review_pushed_without_its_original_supersedes_it_on_the_server(
    office: tuple[Agency, int], tmp_path: Path
) -> None:
    """Only the 复评 arrives (its original is already on the server, approved): the server supersedes the original
    on the strength of the 复评's signed approval, as a desktop does when a 复评 arrives alone."""
    import hashlib

    from ltc_assess import bundle_seal
    from ltc_assess.exchange.package import read_package, write_package
    from ltc_assess.signing.cms import sign_detached
    from ltc_assess.signing.keys import KeyPair

    agency, original_id = office
    s = agency.office
    uid = s.assessment(original_id).uid
    review_uid = s.assessment(review_on_objection(agency.world, original_id)).uid
    genuine = tmp_path / "office.zip"
    export_bundle(s, _user(s, "sup3"), "sup3-password", genuine, everything=True)
    with bundle_seal.opened(s, genuine, 1 << 30) as inner:
        files = read_package(inner)
    alone = [r for r in json.loads(files["records.json"]) if r["uid"] == review_uid]
    meta = {k: v for k, v in json.loads(files["manifest.json"]).items() if k != "files"}
    stored = s.store.user_key(_user(s, "sup3").id)
    assert stored is not None
    out = tmp_path / "alone.zip"
    write_package(
        out,
        {"records.json": json.dumps(alone).encode()},
        meta | {"bundle_id": hashlib.md5(out.name.encode()).hexdigest()},
        lambda data: sign_detached(data, KeyPair(*stored), "sup3-password", [s.root_certificate()]),
    )
    client = office_client(agency, "sup3")
    try:
        result = client.push(out)
    finally:
        client.close()
    assert result["added"] == [review_uid] and result["refused"] == [], result
    assert (_server_status(agency, uid), _server_status(agency, review_uid)) == ("superseded", "approved")
    decisions, _cursor = _decisions(agency, tmp_path)
    assert decisions[uid]["status"] == "superseded" and decisions[uid]["superseded_by"] == review_uid
