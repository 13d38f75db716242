"""The push queue against the real PostgreSQL: a push is acknowledged once stored and queued, a verifier applies
or refuses it later with the same intake rules, its outcome goes to its pusher only, and no entry is applied twice.
(Killing the server with entries queued: tests/server/test_live_server.py.)"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import psycopg
import pytest

from ltc_assess.bundles import BundleRefused, export_bundle
from ltc_assess.i18n import language, speaking
from ltc_assess.server.queue import verify_next
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.storage.pg import migrations
from ltc_assess.storage.pg.migrations import migrate
from ltc_assess.storage.pg.pushes import claim
from ltc_assess.storage.pg.repository import PgStore
from ltc_assess.sync_client import PushQueued, sync

from .conftest import Agency, office_client, pg_store_do
from .test_server_flow import SIGNERS, _fill, forge_approval

IDLE = pytest.mark.parametrize("agency", [0], indirect=True)  # its server has no verifier: pushes stay queued


def _submitted(agency: Agency, laptop: AssessmentService) -> str:
    a1 = laptop.store.user_by_name("a1")
    new = NewAssessment(subject_id=agency.world.subject.id, form="barthel", assessor2_id=agency.world.a2.id)
    record, _ = laptop.start_assessment(a1, new)  # type: ignore[arg-type]
    _fill(laptop, record.id)
    laptop.submit(a1, record.id, SIGNERS)  # type: ignore[arg-type]
    return str(record.uid)


def _bundle(laptop: AssessmentService, path: Path) -> Path:
    export_bundle(laptop, laptop.store.user_by_name("a1"), "a1-password", path)  # type: ignore[arg-type]
    return path


def _count(agency: Agency, sql: str, args: list[object]) -> int:
    return int(pg_store_do(agency.conninfo, lambda s: s.rows(sql, args))[0]["n"])


def _verify(agency: Agency) -> bool:
    assert agency.pool is not None
    return verify_next(agency.pool, 200)


@IDLE
def test_a_push_is_acknowledged_queued_and_applied_once_told_to_its_pusher_only(
    agency: Agency, tmp_path: Path
) -> None:
    uid = _submitted(agency, agency.laptop1)
    bundle = _bundle(agency.laptop1, tmp_path / "b.zip")
    sha = hashlib.sha256(bundle.read_bytes()).hexdigest()
    client = office_client(agency, "a1")
    push = client.send(bundle)
    assert push["state"] == "queued" and push["result"] is None and push["done_at"] is None
    answer = client.http.post(f"/api/v1/uploads/{sha}/apply")  # asked again: the same entry, 202
    assert answer.status_code == 202 and answer.json()["push"]["id"] == push["id"]
    assert client.send(bundle)["id"] == push["id"]  # a re-push sends nothing and queues nothing new
    assert _count(agency, "SELECT count(*) AS n FROM push_queue", []) == 1
    assert _count(agency, "SELECT count(*) AS n FROM assessments WHERE uid = %s", [uid]) == 0
    with pytest.raises(PushQueued):  # the wait runs out: the client says so instead of a result
        client.push(bundle, wait=0.3)
    other = office_client(agency, "a2")
    assert other.http.get(f"/api/v1/pushes/{push['id']}").status_code == 404  # not theirs: does not exist
    assert other.http.post(f"/api/v1/uploads/{sha}/apply").status_code == 409
    other.close()
    assert _verify(agency) is True
    assert _verify(agency) is False  # nothing left
    done = client.call("GET", f"/api/v1/pushes/{push['id']}")
    assert done["state"] == "applied" and done["result"]["added"] == [uid] and done["done_at"] is not None
    assert client.push(bundle) == done["result"]  # pushed again: the stored outcome, not a second apply
    client.close()
    assert _count(agency, "SELECT count(*) AS n FROM assessments WHERE uid = %s", [uid]) == 1
    assert _count(agency, "SELECT count(*) AS n FROM audit WHERE action = 'bundle.import'", []) == 1
    assert _count(agency, "SELECT count(*) AS n FROM upload_chunks WHERE sha256 = %s", [sha]) == 0  # bytes dropped


@IDLE
def test_an_ask_for_the_outcome_is_held_until_the_push_is_done(agency: Agency, tmp_path: Path) -> None:
    """Long polling: GET /pushes/{id}?wait= holds a queued push's ask and answers as soon as a verifier elsewhere
    (another connection, as another server process would: PostgreSQL's NOTIFY) records the outcome, not at the
    end of the wait; with nothing applied it answers 'queued' once the wait has passed."""
    uid = _submitted(agency, agency.laptop1)
    client = office_client(agency, "a1")
    push = client.send(_bundle(agency.laptop1, tmp_path / "b.zip"))
    asked = time.monotonic()
    held = client.call("GET", f"/api/v1/pushes/{push['id']}", params={"wait": 0.6})
    assert held["state"] == "queued" and time.monotonic() - asked >= 0.6
    verifier = threading.Timer(0.5, lambda: _verify(agency))
    verifier.start()
    asked = time.monotonic()
    done = client.call("GET", f"/api/v1/pushes/{push['id']}", params={"wait": 15})
    took = time.monotonic() - asked
    verifier.join()
    assert done["state"] == "applied" and done["result"]["added"] == [uid]
    assert 0.4 <= took < 10, took  # woken by the outcome, not by the end of the wait
    asked = time.monotonic()
    assert client.call("GET", f"/api/v1/pushes/{push['id']}", params={"wait": 15})["state"] == "applied"
    assert time.monotonic() - asked < 5  # a push already done is answered at once
    assert client.http.get(f"/api/v1/pushes/{push['id']}", params={"wait": 21}).status_code == 422  # at most 20 s
    client.close()


def test_a_forged_approval_is_refused_later_in_the_language_of_the_push(agency: Agency, tmp_path: Path) -> None:
    """The refusal is found by the verifier, after the answer; its reasons are said in the language the pushing
    app asked in (English here), not the server's (Chinese in this test run)."""
    uid = forge_approval(agency)
    laptop = agency.laptop1
    forged = _bundle(laptop, tmp_path / "forged.zip")
    assert language() == "zh_CN"
    client = office_client(agency, "a1")
    with speaking("en"), pytest.raises(BundleRefused) as refused:  # queued by an English-speaking app, verified
        client.push(forged)  # in a thread of a server whose language is Chinese
    client.close()
    assert refused.value.refusals and all(line.startswith(f"assessment {uid}: ") for line in refused.value.refusals)
    row = pg_store_do(agency.conninfo, lambda s: s.one("SELECT status FROM assessments WHERE uid = %s", [uid]))
    assert row == {"status": "submitted"}


@IDLE
def test_two_verifiers_never_hold_one_entry(agency: Agency, tmp_path: Path) -> None:
    """An entry claimed by one verifier's transaction is skipped by another; released (rolled back, as when a
    verifier dies), it is claimed again."""
    _submitted(agency, agency.laptop1)
    client = office_client(agency, "a1")
    push = client.send(_bundle(agency.laptop1, tmp_path / "b.zip"))
    client.close()
    with psycopg.connect(agency.conninfo) as first, psycopg.connect(agency.conninfo) as second:
        held = claim(PgStore(first))
        assert held is not None and held["id"] == push["id"]
        assert claim(PgStore(second)) is None  # held: skipped, not waited for
        second.rollback()
        first.rollback()  # the first verifier dies before applying
        again = claim(PgStore(second))
        assert again is not None and again["id"] == push["id"]


@IDLE
def test_many_verifiers_at_once_apply_each_push_exactly_once(agency: Agency, tmp_path: Path) -> None:
    laptops = [agency.laptop1, agency.laptop2]
    uids, pushes = [], []
    client = office_client(agency, "a1")
    for n in range(2):  # two bundles from each laptop, one record each: the second after the first
        for m, laptop in enumerate(laptops):
            uids.append(_submitted(agency, laptop))
            pushes.append(client.send(_bundle(laptop, tmp_path / f"{m}-{n}.zip")))
    client.close()
    applied: list[bool] = []

    def verifier() -> None:
        while _verify(agency):
            applied.append(True)

    threads = [threading.Thread(target=verifier) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(applied) == len(pushes) == 4
    states = pg_store_do(agency.conninfo, lambda s: s.rows("SELECT state FROM push_queue ORDER BY id"))
    assert states == [{"state": "applied"}] * 4
    for uid in uids:
        assert _count(agency, "SELECT count(*) AS n FROM assessments WHERE uid = %s", [uid]) == 1
    assert _count(agency, "SELECT count(*) AS n FROM audit WHERE action = 'bundle.import'", []) == 4


def test_uploads_applied_before_the_queue_become_applied_pushes(pg: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before = migrations.STEPS.index(migrations._push_queue)  # the schema as it was before the queue
    monkeypatch.setattr(migrations, "STEPS", migrations.STEPS[:before])
    migrate(pg)
    with psycopg.connect(pg) as con:
        con.execute(
            "INSERT INTO uploads VALUES ('a', 'a1', 10, 10, now(), '{\"added\": [\"u\"]}'), ('b', 'a1', 10, 3, now(), NULL)"
        )
    monkeypatch.undo()
    assert migrate(pg) == ["push_queue", *(step.__name__.lstrip("_") for step in migrations.STEPS[before + 1 :])]
    with psycopg.connect(pg) as con:
        rows = con.execute("SELECT sha256, username, state, outcome FROM push_queue").fetchall()
    assert rows == [("a", "a1", "applied", {"added": ["u"]})]


@IDLE
def test_a_sync_that_waits_in_vain_leaves_the_push_queued_and_the_next_sync_reports_it(agency: Agency) -> None:
    laptop = agency.laptop1
    uid = _submitted(agency, laptop)
    a1 = laptop.store.user_by_name("a1")
    report = sync(laptop, a1, "a1-password", agency.url, agency.transport, wait=0.5)  # type: ignore[arg-type]
    assert report.pushed == [] and report.refused == [] and len(report.queued) == 1
    outbox = Path(f"{laptop.path}.outbox")
    assert len(list(outbox.glob("*.zip"))) == 1  # kept until the server says how it ended
    assert _verify(agency) is True
    report = sync(laptop, a1, "a1-password", agency.url, agency.transport, wait=0.5)  # type: ignore[arg-type]
    assert report.queued == [] and [p["added"] for p in report.pushed] == [[uid]]
    assert list(outbox.glob("*.zip")) == []
    assert _count(agency, "SELECT count(*) AS n FROM push_queue", []) == 1  # told, not pushed again
    report = sync(laptop, a1, "a1-password", agency.url, agency.transport, wait=0.5)  # type: ignore[arg-type]
    assert report.pushed == [] and report.queued == []


@IDLE
def test_a_push_whose_verification_keeps_breaking_off_is_refused_after_three_attempts(
    agency: Agency, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error (a bug, not a refusal) rolls the attempt back and counts it; the third ends the push, so
    one bad bundle cannot hold up its user's later pushes for ever."""
    from ltc_assess.errors import AppError
    from ltc_assess.server import intake

    uid = _submitted(agency, agency.laptop1)
    client = office_client(agency, "a1")
    bundle = _bundle(agency.laptop1, tmp_path / "b.zip")
    push = client.send(bundle)

    def broken(*_args: object, **_kwargs: object) -> dict[str, object]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(intake, "apply_bundle", broken)
    for attempt in (1, 2):
        assert _verify(agency) is True
        state = client.call("GET", f"/api/v1/pushes/{push['id']}")
        assert state["state"] == "queued", attempt
    assert _verify(agency) is True
    with pytest.raises(AppError, match="服务器无法处理此数据包（已尝试 3 次）"):
        client.push(bundle)
    client.close()
    assert _count(agency, "SELECT count(*) AS n FROM assessments WHERE uid = %s", [uid]) == 0
    assert _verify(agency) is False
