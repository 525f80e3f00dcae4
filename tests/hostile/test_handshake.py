"""Bad WebSocket handshakes against both launchers, as raw HTTP: a status and one line each, never a traceback."""

import socket
import time

import pytest

from tests.hostile.conftest import report
from tests.servers import app_py_command, procfile_command

LAUNCHERS = {"app.py": app_py_command, "Procfile": procfile_command}

PATH = "/socket.io/?EIO=4&transport=websocket"
GOOD_KEY = "dGhlIHNhbXBsZSBub25jZQ=="

#: (what is wrong, the request's version line, its WebSocket headers, the status it gets)
BAD_HANDSHAKES = [
    ("no version", "HTTP/1.1", {"Sec-WebSocket-Key": GOOD_KEY}, 426),
    ("version 12", "HTTP/1.1", {"Sec-WebSocket-Version": "12", "Sec-WebSocket-Key": GOOD_KEY}, 400),
    ("no key", "HTTP/1.1", {"Sec-WebSocket-Version": "13"}, 400),
    ("key not base64", "HTTP/1.1", {"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "x"}, 400),
    ("key of 5 bytes", "HTTP/1.1", {"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "c2hvcnQ="}, 400),
    ("HTTP/1.0", "HTTP/1.0", {"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": GOOD_KEY}, 400),
]


@pytest.fixture(scope="module", params=sorted(LAUNCHERS))
def server(serve, request):
    """A real server, `python app.py` or the Procfile's command (the `serve` fixture fails on any traceback)."""
    with serve(command=LAUNCHERS[request.param]()) as process:
        yield process


def handshake(port, version_line, headers, path=PATH):
    """Send a WebSocket handshake as raw bytes; return the status code and the response's bytes."""
    lines = [f"GET {path} {version_line}", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(4096)
            if not chunk:
                break
            response += chunk
    return int(response.split(b" ", 2)[1]), response


@pytest.mark.integration
@pytest.mark.parametrize(
    ("what", "version_line", "headers", "status"), BAD_HANDSHAKES, ids=[h[0] for h in BAD_HANDSHAKES]
)
def test_a_bad_handshake_gets_its_status_and_one_line(server, what, version_line, headers, status):
    """gevent-websocket answered these with a traceback each (a `str` body, or `binascii.Error` and a 500)."""
    before = len(server.output())
    start = time.monotonic()
    got, response = handshake(server.port, version_line, headers)
    report(f"bad WebSocket handshake ({what}): answered within (ms)", f"{(time.monotonic() - start) * 1000:.0f}")
    assert got == status, response
    assert b"Sec-WebSocket-Version: 13" in response
    line = server.wait_for_output("refused WebSocket handshake")[before:]
    refusals = [entry for entry in line.splitlines() if "refused WebSocket handshake addr=127.0.0.1:" in entry]
    assert len(refusals) == 1 and " WARNING playground.handshake: " in refusals[0], line
    assert "Traceback" not in line


@pytest.mark.integration
def test_a_good_handshake_still_upgrades(server):
    """The handler in front refuses only what gevent-websocket would fail on."""
    got, response = handshake(server.port, "HTTP/1.1", {"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": GOOD_KEY})
    assert got == 101 and b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in response  # RFC 6455's accept value for this key


@pytest.mark.integration
@pytest.mark.parametrize("path", ["/", "/healthz", "/compare"])
def test_a_handshake_for_a_page_is_not_found(server, path):
    """gevent-websocket answered 101 and closed at once: only Engine.IO's path speaks WebSocket."""
    before = len(server.output())
    headers = {"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": GOOD_KEY}
    got, response = handshake(server.port, "HTTP/1.1", headers, path=path)
    assert got == 404, response
    output = server.wait_for_output(f"a WebSocket handshake for {path!r}")[before:]
    assert output.count("refused WebSocket handshake") == 1 and "Traceback" not in output, output
