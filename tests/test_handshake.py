"""WebSocket handshakes gevent-websocket would fail on (playground/handshake.py): named, with their status."""

import pytest

from playground.handshake import handshake_problem

GOOD = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/socket.io/",
    "HTTP_UPGRADE": "websocket",
    "HTTP_CONNECTION": "keep-alive, Upgrade",
    "HTTP_SEC_WEBSOCKET_VERSION": "13",
    "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",  # RFC 6455's example
}


def test_a_good_handshake_and_plain_requests_go_on_to_gevent_websocket():
    """Nothing to refuse: a valid upgrade, a GET without one, a POST, an upgrade to something else."""
    assert handshake_problem(GOOD, "HTTP/1.1") is None
    assert handshake_problem({"REQUEST_METHOD": "GET"}, "HTTP/1.1") is None
    assert handshake_problem({**GOOD, "REQUEST_METHOD": "POST"}, "HTTP/1.1") is None
    assert handshake_problem({**GOOD, "HTTP_UPGRADE": "h2c"}, "HTTP/1.1") is None
    assert handshake_problem({**GOOD, "HTTP_CONNECTION": "keep-alive"}, "HTTP/1.1") is None


@pytest.mark.parametrize(
    ("changes", "status", "reason"),
    [
        ({"HTTP_SEC_WEBSOCKET_VERSION": ""}, "426 Upgrade Required", "without Sec-WebSocket-Version"),
        ({"HTTP_SEC_WEBSOCKET_VERSION": "12"}, "400 Bad Request", "of version '12'"),
        ({"HTTP_SEC_WEBSOCKET_VERSION": "9" * 5000}, "400 Bad Request", "of version '" + "9" * 40 + "'"),
        ({"HTTP_SEC_WEBSOCKET_KEY": ""}, "400 Bad Request", "not 16 bytes in base64: ''"),
        ({"HTTP_SEC_WEBSOCKET_KEY": "x"}, "400 Bad Request", "not 16 bytes in base64: 'x'"),
        ({"HTTP_SEC_WEBSOCKET_KEY": "c2hvcnQ="}, "400 Bad Request", "not 16 bytes in base64"),
        ({"HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==!"}, "400 Bad Request", "not 16 bytes in base64"),
    ],
)
def test_what_gevent_websocket_fails_on_is_refused_with_its_status(changes, status, reason):
    """Each of these was a traceback (a `str` body gevent cannot write, or `binascii.Error` and a 500)."""
    refused_status, refused_reason = handshake_problem({**GOOD, **changes}, "HTTP/1.1")
    assert refused_status == status and reason in refused_reason
    assert len(refused_reason) < 120, "a log line quotes a header's start, not all of it"


def test_a_handshake_over_http_1_0_is_refused():
    """gevent-websocket answered it `402` with a `str` body: a traceback."""
    assert handshake_problem(GOOD, "HTTP/1.0") == ("400 Bad Request", "a WebSocket handshake over HTTP/1.0")


def test_a_handshake_outside_engineios_path_is_not_found():
    """gevent-websocket switched protocols for any path (`/`, `/healthz`), then closed: nothing there speaks it."""
    assert handshake_problem({**GOOD, "PATH_INFO": "/"}, "HTTP/1.1") == (
        "404 Not Found",
        "a WebSocket handshake for '/', outside /socket.io/",
    )
    assert handshake_problem({**GOOD, "PATH_INFO": "/healthz"}, "HTTP/1.1")[0] == "404 Not Found"
    assert handshake_problem({**GOOD, "PATH_INFO": "/socket.io/x"}, "HTTP/1.1") is None
