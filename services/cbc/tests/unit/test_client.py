"""The CBC client's reading of answers: what may be retried, what is final, what is kept on the record."""

import httpx
import pytest

from omnibus.cbc.delivery.client import CbcClient, CbcRefused, CbcUnavailable
from omnibus.cbc.settings import CbcPaths

PAYLOAD = {"message_reference": "ref-1"}


def _client(status: int, body: bytes = b"{}", content_type: str = "application/json") -> CbcClient:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["idempotency-key"] == "ref-1"
        return httpx.Response(status, content=body, headers={"content-type": content_type})

    return CbcClient("http://cbc", CbcPaths(cancel="/alerts/cancel"), 1.0, transport=httpx.MockTransport(answer))


@pytest.mark.parametrize("status", [200, 201, 202, 409])
def test_the_cbc_has_it_on_2xx_and_on_409(status: int) -> None:
    assert _client(status, b'{"status": "active"}').send(PAYLOAD).status == status


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_timeouts_throttling_and_server_errors_may_be_retried(status: int) -> None:
    with pytest.raises(CbcUnavailable) as raised:
        _client(status, b'{"message": "busy"}').send(PAYLOAD)

    assert raised.value.http_status == status and "busy" in raised.value.reason


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_client_errors_are_final(status: int) -> None:
    with pytest.raises(CbcRefused):
        _client(status, b'{"message": "bad area"}').send(PAYLOAD)


def test_a_cancel_of_a_broadcast_the_cbc_does_not_have_is_an_answer() -> None:
    assert _client(404).cancel("ref-1").status == 404


def test_a_non_json_or_huge_answer_is_kept_as_cut_text() -> None:
    plain = _client(200, b"OK accepted", "text/plain").send(PAYLOAD).body
    huge = _client(200, b'{"x": "' + b"a" * 20_000 + b'"}').send(PAYLOAD).body

    assert plain == {"text": "OK accepted"}
    assert huge["truncated"] is True and len(huge["text"]) == 2000


def test_an_unreachable_cbc_may_be_retried() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    client = CbcClient("http://cbc", CbcPaths(), 1.0, transport=httpx.MockTransport(refuse))

    with pytest.raises(CbcUnavailable, match="could not be reached"):
        client.send(PAYLOAD)
