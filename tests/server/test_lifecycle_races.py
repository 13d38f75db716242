"""Lifecycle records pushed at the same moment by two desktops (real concurrent requests, real PostgreSQL): the
same fact twice is one record and both pushes succeed; two different facts for one slot give one record and a
refusal naming it, never a 5xx. And a lifecycle.json over the server's cap is refused with 413 naming the file
and the limit, while a sync splits its lifecycle records to what the server takes."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from ltc_assess import sync_client
from ltc_assess.bundles import BundleRefused
from ltc_assess.errors import AppError
from ltc_assess.exchange.package import write_package
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.policies.rules import objection_until, publicity_until
from ltc_assess.server.app import create_app
from ltc_assess.server.limits import Limits
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.keys import KeyPair

from .conftest import Agency, office_client
from .test_lifecycle_sync import _lifecycle_rows, _signed, _sync, approved_at_office


def _approved(agency: Agency) -> str:
    """Submitted on a laptop, approved at the office under 成都's policy and synced (the conclusion is on the
    server, no 公示 yet); its uid."""
    uid, _lc, _aid = approved_at_office(agency)
    assert _sync(agency, agency.office, "sup1").refused == []
    assert [r["kind"] for r in _lifecycle_rows(agency)] == ["conclusion"]
    return uid


def _publicity(agency: Agency, uid: str, published: str) -> dict[str, Any]:
    """A 公示 fact for ``uid`` starting ``published``, its dates as 成都's policy gives them (a valid fact)."""
    import datetime as dt

    policy = Lifecycle(agency.office).policy()
    day = dt.date.fromisoformat(published)
    return {
        "kind": "publicity", "assessment": uid, "published_at": published,
        "publicity_until": publicity_until(policy, day).isoformat(),
        "objection_until": objection_until(policy, day).isoformat(),
    }  # fmt: skip


def _bundle(agency: Agency, tmp_path: Path, user: str, items: list[dict[str, Any]]) -> Path:
    """A bundle signed by ``user`` carrying only ``items`` as its lifecycle.json."""
    office = agency.office
    stored = office.store.user_key(office.store.user_by_name(user).id)  # type: ignore[union-attr]
    assert stored is not None
    out = tmp_path / f"{user}-{len(list(tmp_path.iterdir()))}.zip"
    meta = {"format": "ltc-assess-bundle", "format_version": 1, "bundle_id": hashlib.md5(str(out).encode()).hexdigest(),
            "created_at": office.now(), "created_by": user, "counts": {}}  # fmt: skip
    write_package(
        out,
        {"records.json": b"[]", "lifecycle.json": json.dumps(items).encode()},
        meta,
        lambda data: sign_detached(data, KeyPair(*stored), f"{user}-password", [office.root_certificate()]),
    )
    return out


def _waiting(conninfo: str) -> int:
    with psycopg.connect(conninfo) as con:
        row = con.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


def _race(agency: Agency, uid: str, pushes: dict[str, Path]) -> dict[str, Any]:
    """Push each bundle from its own thread at once. The test holds the decision's row meanwhile, so that both
    pushes are inside their transactions (the first blocked writing, the other behind it) before either commits;
    then lets go. Each user's answer: the push result, or the exception it raised."""
    clients = {user: office_client(agency, user) for user in pushes}
    answers: dict[str, Any] = {}

    def push(user: str) -> None:
        try:
            answers[user] = clients[user].push(pushes[user])
        except Exception as exc:  # noqa: BLE001 - the answer under test, whatever it is
            answers[user] = exc

    with psycopg.connect(agency.conninfo) as holder:
        holder.execute("SELECT 1 FROM assessments WHERE uid = %s FOR UPDATE", [uid])
        threads = [threading.Thread(target=push, args=(user,)) for user in pushes]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while _waiting(agency.conninfo) < len(pushes) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting(agency.conninfo) == len(pushes), "both pushes should be waiting inside PostgreSQL"
        holder.rollback()
    for thread in threads:
        thread.join(120)
    for client in clients.values():
        client.close()
    return answers


def test_the_same_lifecycle_record_pushed_twice_at_once_is_one_record(agency: Agency, tmp_path: Path) -> None:
    uid = _approved(agency)
    fact = _publicity(agency, uid, agency.office.now()[:10])
    pushes = {user: _bundle(agency, tmp_path, user, [_signed(agency, user, fact)]) for user in ("sup1", "sup2")}
    answers = _race(agency, uid, pushes)
    for user, answer in answers.items():
        assert isinstance(answer, dict) and answer["refused"] == [], (user, answer)
    assert sorted(len(a["lifecycle"]) for a in answers.values()) == [0, 1]  # one wrote it, the other found it
    rows = [r for r in _lifecycle_rows(agency) if r["kind"] == "publicity"]
    assert len(rows) == 1 and json.loads(rows[0]["payload"])["published_at"] == fact["published_at"]


def test_conflicting_lifecycle_records_pushed_at_once_give_one_record_and_a_named_refusal(
    agency: Agency, tmp_path: Path
) -> None:
    import datetime as dt

    uid = _approved(agency)
    today = dt.date.fromisoformat(agency.office.now()[:10])
    facts = {"sup1": _publicity(agency, uid, today.isoformat()),
             "sup2": _publicity(agency, uid, (today + dt.timedelta(days=1)).isoformat())}  # fmt: skip
    pushes = {user: _bundle(agency, tmp_path, user, [_signed(agency, user, facts[user])]) for user in facts}
    answers = _race(agency, uid, pushes)
    winners = [u for u, a in answers.items() if isinstance(a, dict)]
    losers = [u for u, a in answers.items() if isinstance(a, BundleRefused)]
    assert len(winners) == 1 and len(losers) == 1, answers
    [refusal] = answers[losers[0]].refusals
    assert refusal.startswith(f"publicity record {uid}:") and "冲突" in refusal and "published_at" in refusal
    rows = [r for r in _lifecycle_rows(agency) if r["kind"] == "publicity"]
    assert [json.loads(r["payload"])["published_at"] for r in rows] == [facts[winners[0]]["published_at"]]


@pytest.mark.parametrize("agency", [0], indirect=True)  # only the smaller server verifies (its limit applies)
def test_a_lifecycle_file_over_the_servers_cap_is_413_naming_file_and_limit(
    agency: Agency, tmp_path: Path, english: None
) -> None:
    from dataclasses import replace

    with TestClient(create_app(agency.conninfo, 2, Limits(lifecycle_per_push=3)), base_url=agency.url) as small:
        agency = replace(agency, transport=small._transport)
        uid = _approved(agency)
        fact = _signed(agency, "sup1", _publicity(agency, uid, agency.office.now()[:10]))
        oversized = _bundle(agency, tmp_path, "sup1", [fact] * 4)
        client = office_client(agency, "sup1")
        with pytest.raises(AppError, match="lifecycle.json: at most 3 records, not 4"):
            client.push(oversized)
        sha = hashlib.sha256(oversized.read_bytes()).hexdigest()
        push = client.http.post(f"/api/v1/uploads/{sha}/apply").json()["push"]  # the same push, refused
        state = client.call("GET", f"/api/v1/pushes/{push['id']}")
        assert (state["state"], state["status"]) == ("refused", 413) and "lifecycle.json" in state["error"]
        client.close()
    assert [r["kind"] for r in _lifecycle_rows(agency)] == ["conclusion"]  # nothing of it entered


@pytest.mark.parametrize("agency", [0], indirect=True)  # only the smaller server verifies (its limit applies)
def test_sync_splits_lifecycle_records_to_what_the_server_takes(
    agency: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The office's 公示, care setting and letter (with a conclusion before them) reach a server that takes one
    lifecycle record per push: one per push, each after the conclusion it needs."""
    from .test_lifecycle_sync import _lifecycle_done

    monkeypatch.setattr(sync_client, "LIFECYCLE_PER_PUSH", 1)
    with TestClient(create_app(agency.conninfo, 2, Limits(lifecycle_per_push=1)), base_url=agency.url) as small:
        from dataclasses import replace

        _lifecycle_done(replace(agency, transport=small._transport))  # asserts every sync refused nothing
    kinds = sorted(r["kind"] for r in _lifecycle_rows(agency))
    assert kinds == ["care_setting", "conclusion", "letter", "publicity"]
