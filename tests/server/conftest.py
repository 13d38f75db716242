"""The office server against the real PostgreSQL: a throw-away database per test, the ASGI app in process
(served over httpx's transport) or, where a real process matters, uvicorn in a subprocess."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool
from world import World, with_signing_keys

from ltc_assess.server.app import create_app
from ltc_assess.server.enrol import enrol
from ltc_assess.service import AssessmentService
from ltc_assess.storage.pg.migrations import migrate
from ltc_assess.storage.pg.repository import session
from ltc_assess.sync_client import ServerClient

ADMIN_DB = os.environ.get("LTC_TEST_PG", "dbname=postgres")
_numbers = itertools.count()


@contextmanager
def fresh_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards); its conninfo."""
    name = f"ltc_test_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(ADMIN_DB, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name}")
        con.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{ADMIN_DB.replace('dbname=postgres', '')} dbname={name}".strip()
    finally:
        with psycopg.connect(ADMIN_DB, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg() -> Iterator[str]:
    with fresh_database() as conninfo:
        yield conninfo


def pg_store_do(conninfo: str, work):  # type: ignore[no-untyped-def]
    with session(conninfo) as store:
        return work(store)


@dataclass
class Agency:
    """The office (the world's database: admin, a1–a3, sup1–sup2 with keys), two laptops provisioned as copies,
    and the server enrolled from the office."""

    world: World
    office: AssessmentService
    laptop1: AssessmentService
    laptop2: AssessmentService
    conninfo: str
    transport: httpx.BaseTransport
    url: str = "https://testserver"
    pool: ConnectionPool | None = None  # the server's connection pool (to run its verifier by hand)



@pytest.fixture
def agency(world: World, tmp_path: Path, pg: str, request: pytest.FixtureRequest) -> Iterator[Agency]:
    verifiers = getattr(request, "param", 2)  # parametrized indirectly with 0: pushes stay queued for the test
    with_signing_keys(world, ("a1", "a2", "a3", "sup1", "sup2"))
    office = world.service
    laptop1 = AssessmentService(office.backup(tmp_path / "laptop1.db"), clock=world.clock, key=office.database_key())
    laptop2 = AssessmentService(office.backup(tmp_path / "laptop2.db"), clock=world.clock, key=office.database_key())
    migrate(pg)
    pg_store_do(pg, lambda store: enrol(office, world.admin, store))
    with TestClient(create_app(pg, pool_size=4, verifiers=verifiers), base_url="https://testserver") as client:
        yield Agency(world, office, laptop1, laptop2, pg, client._transport, pool=client.app.state.pool)  # type: ignore[attr-defined]
    laptop1.close()
    laptop2.close()


def office_client(agency: Agency, user: str) -> ServerClient:
    """A logged-in client for ``user`` (key password '<user>-password')."""
    office = agency.office
    stored = office.store.user_key(office.store.user_by_name(user).id)  # type: ignore[union-attr]
    assert stored is not None
    root = office.root_certificate()
    client = ServerClient(agency.url, root, agency.transport)
    client.login(user, stored[0], stored[1], f"{user}-password", root)
    return client
