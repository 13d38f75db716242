"""``keys tsa-serve``'s responder: a query it cannot answer is refused with its reason, in the operator's language
in the log and the body (the HTTP status line keeps its standard Latin-1 phrase)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import pytest

from ltc_assess.signing.tsa import QUERY_TYPE, AgencyTimeStamper, make_server
from tests.world import World, with_signing_keys

pytestmark = pytest.mark.slow  # the agency root and TSA key (argon2id)


@pytest.fixture
def timestamper(world: World) -> AgencyTimeStamper:
    """The installation's own timestamp authority."""
    with_signing_keys(world)
    found = world.service.pki.local_timestamper()
    assert found is not None
    return found


def _refused(timestamper: AgencyTimeStamper, body: bytes, content_type: str) -> tuple[int, str, list[str]]:
    """POST ``body`` to a real responder on 127.0.0.1: the status, the body and the log lines."""
    log: list[str] = []
    server = make_server("127.0.0.1:0", timestamper, log.append)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = str(server.server_address[0]), int(server.server_address[1])
        request = urllib.request.Request(f"http://{host}:{port}/", data=body, headers={"Content-Type": content_type})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        return refused.value.code, refused.value.read().decode(), log
    finally:
        server.shutdown()
        server.server_close()


def test_a_query_of_the_wrong_type_is_refused_with_its_reason_in_chinese(timestamper: AgencyTimeStamper) -> None:
    """Test that a POST that is not a timestamp query is a 415 whose reason the log and the body give in Chinese."""
    code, body, log = _refused(timestamper, b"{}", "application/json")
    assert (code, body) == (415, "应为 RFC 3161 时间戳请求")
    assert any(line.endswith("拒绝时间戳请求（415）：应为 RFC 3161 时间戳请求") for line in log), log
    assert any('"POST / HTTP/1.1" 415' in line for line in log), log  # the access line as http.server writes it


def test_a_malformed_query_is_refused_in_english_under_an_english_locale(
    timestamper: AgencyTimeStamper, english: None
) -> None:
    """Test that a malformed timestamp query is a 400 whose reason reads in English when the operator's is."""
    code, body, log = _refused(timestamper, b"not DER", QUERY_TYPE)
    assert code == 400 and body.startswith("bad timestamp query: "), body
    assert any("timestamp query refused (400): bad timestamp query: " in line for line in log), log
