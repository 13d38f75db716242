"""Sessions: a signed challenge under the agency root, for an enrolled, active user with their current
certificate; nothing else opens one."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ltc_assess.errors import AppError
from ltc_assess.server.enrol import enrol
from ltc_assess.server.protocol import login_statement
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.keys import KeyPair, create_root, issue_user
from ltc_assess.sync_client import ServerClient

from .conftest import Agency, office_client, pg_store_do


def _signed(agency: Agency, user: str, nonce: str, pair: KeyPair | None = None, password: str | None = None) -> dict:
    office = agency.office
    pair = pair or KeyPair(*office.store.user_key(office.store.user_by_name(user).id))  # type: ignore[misc, union-attr]
    statement = login_statement(user, nonce)
    signature = sign_detached(statement, pair, password or f"{user}-password", [office.root_certificate()])
    return {"statement": statement.decode(), "signature": base64.b64encode(signature).decode()}


def _raw(agency: Agency) -> ServerClient:
    return ServerClient(agency.url, agency.office.root_certificate(), agency.transport)


def test_a_signed_statement_opens_one_session_and_cannot_be_replayed(agency: Agency, english: None) -> None:
    client = _raw(agency)
    nonce = client.call("POST", "/api/v1/auth/challenge", json={"username": "a1"})["nonce"]
    body = _signed(agency, "a1", nonce)
    token = client.call("POST", "/api/v1/auth/token", json=body)
    assert token["role"] == "assessor"
    with pytest.raises(AppError, match="login refused"):
        client.call("POST", "/api/v1/auth/token", json=body)  # the nonce is used up
    client.close()


def test_statement_signed_by_someone_else_or_a_foreign_root_is_refused(agency: Agency, tmp_path: Path, english: None) -> None:
    import datetime as dt

    client = _raw(agency)
    nonce = client.call("POST", "/api/v1/auth/challenge", json={"username": "sup1"})["nonce"]
    office = agency.office
    a1_pair = KeyPair(*office.store.user_key(agency.world.a1.id))  # type: ignore[misc]
    statement = login_statement("sup1", nonce)  # a1 claims to be sup1
    signature = sign_detached(statement, a1_pair, "a1-password", [office.root_certificate()])
    with pytest.raises(AppError, match="login refused"):
        client.call("POST", "/api/v1/auth/token",
                    json={"statement": statement.decode(), "signature": base64.b64encode(signature).decode()})
    # a certificate for "sup1" from another root (a forged agency)
    now = dt.datetime.now(dt.UTC)
    fake_root = create_root("假机构", "fake-root-pass", now)
    fake = issue_user(fake_root, "fake-root-pass", username="sup1", display_name="x", role="supervisor",
                      password="fake-password", now=now)
    nonce = client.call("POST", "/api/v1/auth/challenge", json={"username": "sup1"})["nonce"]
    statement = login_statement("sup1", nonce)
    signature = sign_detached(statement, fake, "fake-password", [fake_root.cert_pem])
    with pytest.raises(AppError, match="login refused"):
        client.call("POST", "/api/v1/auth/token",
                    json={"statement": statement.decode(), "signature": base64.b64encode(signature).decode()})
    client.close()


def test_disabled_users_lose_their_sessions_and_replaced_certificates_are_revoked(agency: Agency, english: None) -> None:
    world, office = agency.world, agency.office
    client = office_client(agency, "a1")
    assert client.call("GET", "/api/v1/sync/tasks") == []
    office.set_disabled(world.admin, "a1")
    pg_store_do(agency.conninfo, lambda store: enrol(office, world.admin, store))
    with pytest.raises(AppError, match="no valid session"):
        client.call("GET", "/api/v1/sync/tasks")
    with pytest.raises(AppError, match="login refused"):
        office_client(agency, "a1")
    client.close()
    # a2 gets a new certificate at the office: the old one opens nothing any more
    old = KeyPair(*office.store.user_key(world.a2.id))  # type: ignore[misc]
    office.issue_certificate(world.admin, "a2", "root-passphrase", "a2-password")
    pg_store_do(agency.conninfo, lambda store: enrol(office, world.admin, store))
    raw = _raw(agency)
    nonce = raw.call("POST", "/api/v1/auth/challenge", json={"username": "a2"})["nonce"]
    with pytest.raises(AppError, match="login refused"):
        raw.call("POST", "/api/v1/auth/token", json=_signed(agency, "a2", nonce, old))
    raw.close()
    office_client(agency, "a2").close()  # the new one works


def test_requests_without_a_session_are_refused(agency: Agency, english: None) -> None:
    client = _raw(agency)
    for method, path in (("GET", "/api/v1/decisions"), ("GET", "/api/v1/sync/changes"), ("GET", "/api/v1/tasks")):
        with pytest.raises(AppError, match="log in first"):
            client.call(method, path)
    client.http.headers["Authorization"] = "Bearer forged"
    with pytest.raises(AppError, match="no valid session"):
        client.call("GET", "/api/v1/decisions")
    client.close()


@pytest.mark.parametrize("username", ["a1\x00", "t\u00ce\U000793ff\x00", "a\x07b"])
def test_control_characters_in_a_username_are_a_clear_refusal_not_a_server_error(
    agency: Agency, username: str
) -> None:
    """schemathesis found it: a NUL in the challenge's username reached PostgreSQL (which cannot store it): a 500."""
    raw = _raw(agency).http
    answer = raw.post("/api/v1/auth/challenge", json={"username": username})
    assert answer.status_code == 422, answer.text
    assert raw.post("/api/v1/auth/challenge", json={"username": "a1"}).status_code == 200


def test_a_refusal_is_said_in_the_language_the_request_asks_for(agency: Agency) -> None:
    """Test that the server words an error in the request's Accept-Language (the sync client sends the app's), with
    the same status and JSON shape, and without the header in its own language (here Chinese)."""
    raw = _raw(agency).http
    body = {"statement": "{}", "signature": "not base64!"}
    said = {}
    for header in ("en-US,en;q=0.9", "zh-CN", None):
        headers = {"Accept-Language": header} if header else {}
        answer = raw.post("/api/v1/auth/token", json=body, headers=headers)
        assert answer.status_code == 401 and set(answer.json()) == {"error", "refusals"}
        said[header] = answer.json()["error"]
    assert said == {"en-US,en;q=0.9": "login refused", "zh-CN": "登录被拒绝", None: "登录被拒绝"}
    client = _raw(agency)
    with pytest.raises(AppError, match="服务器：登录被拒绝"):
        client.call("POST", "/api/v1/auth/token", json=body)
    from ltc_assess.i18n import speaking

    with speaking("en"), pytest.raises(AppError, match="server: login refused"):
        client.call("POST", "/api/v1/auth/token", json=body)
    client.close()
