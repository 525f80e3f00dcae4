"""Limits a client runs into on its own: the rate limit, the transport's packet size, a foreign Origin."""

import json
import logging
import re
import time

import pytest
import requests
import socketio as socketio_client

from playground import create_app, socketio
from playground.config import DEFAULTS, NAMESPACE
from playground.ratelimit import RateLimiter
from tests.conftest import end_connection
from tests.hostile.wire import RawClient
from tests.live import LiveClient

MAX_HTTP_BUFFER_SIZE = DEFAULTS["MAX_HTTP_BUFFER_SIZE"]
EVIL = "http://evil.example"


def test_bucket_allows_a_burst_of_twice_the_rate_then_the_rate():
    """The bucket itself, on a clock the test moves: burst 2x, refill at the rate, 0 is off."""
    now = [0.0]
    limiter = RateLimiter(10, 2, clock=lambda: now[0])
    allowed = 0
    for _ in range(50):
        try:
            limiter.check("a", "echo")
            allowed += 1
        except Exception as exc:
            assert str(exc) == "rate limited"
    assert allowed == 20
    now[0] += 0.5  # five more tokens
    assert sum(_takes(limiter, "a", "echo") for _ in range(10)) == 5
    assert sum(_takes(limiter, "a", "fanout") for _ in range(10)) == 4
    assert sum(_takes(limiter, "b", "echo") for _ in range(10)) == 10  # its own bucket
    limiter.forget("a")
    limiter.forget("b")
    assert len(limiter) == 0
    unlimited = RateLimiter(0, 5)
    assert sum(_takes(unlimited, "a", kind) for kind in ("echo", "fanout") for _ in range(1000)) == 2000


def _takes(limiter, sid, kind):
    """Whether `limiter` lets one `kind` event of `sid` through."""
    try:
        limiter.check(sid, kind)
    except Exception:
        return False
    return True


def test_flood_is_dropped_with_one_error_per_second(caplog):
    """Past the burst, events are dropped: failed acks, one `my error` and one log line, nobody else affected."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0, "RATE_LIMIT": 20})
    flooder = socketio.test_client(app, namespace=NAMESPACE)
    other = socketio.test_client(app, namespace=NAMESPACE)
    flooder.get_received(NAMESPACE)
    other.get_received(NAMESPACE)
    with caplog.at_level(logging.INFO):
        start = time.monotonic()
        acks = [flooder.emit("my event", {"data": str(i)}, namespace=NAMESPACE, callback=True) for i in range(200)]
        # Bad input past the burst is dropped too, rather than logged line by line.
        bad_acks = [flooder.emit("my event", 42, namespace=NAMESPACE, callback=True) for _ in range(100)]
        elapsed = time.monotonic() - start
    assert elapsed < 1.0, "the test client was too slow for one notice window"
    passed = [str(i) for i, ack in enumerate(acks) if ack["ok"]]
    refills = 20 * elapsed + 1
    assert passed[:40] == [str(i) for i in range(40)] and len(passed) <= 40 + refills, (len(passed), elapsed)
    assert all(ack == {"ok": False, "error": "rate limited"} for ack in acks if not ack["ok"])
    received = flooder.get_received(NAMESPACE)
    assert [p["args"][0]["data"] for p in received if p["name"] == "my response"] == passed
    errors = [p["args"][0] for p in received if p["name"] == "my error"]
    assert errors[0] == {"event": "my event", "error": "rate limited"}
    assert errors.count(errors[0]) == 1
    validated = [ack for ack in bad_acks if ack["error"] != "rate limited"]
    assert len(validated) <= refills
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 + len(validated) and "rate limited" in warnings[0]

    # The other client's bucket is its own.
    assert other.emit("my event", {"data": "mine"}, namespace=NAMESPACE, callback=True)["ok"] is True
    assert names(other.get_received(NAMESPACE)) == ["my response"]

    # Broadcasts draw on the tighter fan-out bucket: a burst of 2 x 5.
    fanout_oks = [
        other.emit("my broadcast event", {"data": "all"}, namespace=NAMESPACE, callback=True)["ok"] for _ in range(30)
    ]
    assert 10 <= sum(fanout_oks) <= 11
    # A second later the flooder may talk again, and hears of the limit again if it insists.
    time.sleep(1.05)
    assert flooder.emit("my event", {"data": "again"}, namespace=NAMESPACE, callback=True)["ok"] is True
    end_connection(flooder)
    end_connection(other)
    assert len(app.extensions["playground"].limiter) == 0


def names(received):
    """The event names in a test client's `get_received` list."""
    return [packet["name"] for packet in received]


@pytest.fixture(scope="module")
def server(serve):
    """A real `python app.py` with the default limits."""
    with serve() as process:
        yield process


@pytest.mark.integration
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_packet_over_the_transport_limit_closes_the_connection_with_one_log_line(server, transport):
    """Over MAX_HTTP_BUFFER_SIZE: the sender is disconnected, the server says why once, the bystander is fine."""
    sender = LiveClient(server.url, transport)
    bystander = LiveClient(server.url, transport)
    before = server.output()
    sender.emit("my event", {"data": "x" * (MAX_HTTP_BUFFER_SIZE + 10)})
    sender.wait_for("(disconnect)")
    output = server.wait_for_output(f"disconnect sid={sender.sid}")[len(before) :]
    lines = [line for line in output.splitlines() if "exceeds MAX_HTTP_BUFFER_SIZE" in line]
    assert len(lines) == 1, output
    assert f"bytes exceeds MAX_HTTP_BUFFER_SIZE={MAX_HTTP_BUFFER_SIZE}" in lines[0]
    # Just under the limit is a message-length problem, answered with `my error`, connection kept.
    assert bystander.call("my event", {"data": "y" * (MAX_HTTP_BUFFER_SIZE - 100)})["ok"] is False
    assert bystander.call("my event", {"data": "fine"})["ok"] is True
    bystander.disconnect()


@pytest.mark.integration
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_foreign_origin_is_refused_and_logged_once_per_client(server, transport):
    """A handshake from another origin fails; each refused client is one log line; the page's own origin works."""
    before = server.output()
    for _ in range(3):
        client = socketio_client.Client(reconnection=False)
        # gevent-websocket accepts the upgrade before Engine.IO sees the request, so over WebSocket
        # the refusal is a socket closed without a word, which the client reports as a ValueError.
        with pytest.raises((socketio_client.exceptions.ConnectionError, ValueError)):
            client.connect(server.url, namespaces=[NAMESPACE], transports=[transport], headers={"Origin": EVIL})
    output = server.output()[len(before) :]
    refusals = [line for line in output.splitlines() if "refused origin=" in line]
    assert len(refusals) == 3, output
    assert all(EVIL in line and f"transport={transport}" in line for line in refusals)
    assert "is not an accepted origin" not in output  # Engine.IO's own line, once per process, is not repeated
    assert not re.search(r"\bconnect sid=", output)  # no one connected (a late "disconnect sid=" may be there)

    # The WebSocket client library sends the server's own origin by itself.
    same = connect_with_origin(server.url, transport, server.url if transport == "polling" else None)
    assert same.call("my event", {"data": "home"}, namespace=NAMESPACE)["ok"] is True
    same.disconnect()


def connect_with_origin(url, transport, origin):
    """A python-socketio client connected to `/test`, sending `origin` as its Origin header if given."""
    client = socketio_client.Client(reconnection=False)
    client.connect(url, namespaces=[NAMESPACE], transports=[transport], headers={"Origin": origin} if origin else {})
    return client


@pytest.mark.integration
def test_foreign_origin_raw_handshakes(server):
    """Below any client library: a polling handshake gets 400, a WebSocket one never opens an Engine.IO session."""
    before = server.output()
    response = requests.get(
        f"{server.url}/socket.io/", params={"EIO": "4", "transport": "polling"}, headers={"Origin": EVIL}, timeout=5
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in {name.lower() for name in response.headers}
    with pytest.raises(ConnectionError):
        RawClient(server.port, origin=EVIL).join_namespace(timeout=5)
    refusals = [line for line in server.output()[len(before) :].splitlines() if "refused origin=" in line]
    assert len(refusals) == 2


@pytest.mark.integration
def test_listed_origin_is_accepted(serve):
    """CORS_ALLOWED_ORIGINS lets a listed origin in, and only that one."""
    allowed = "https://playground.example"
    with serve(env={"CORS_ALLOWED_ORIGINS": allowed}) as listed:
        client = connect_with_origin(listed.url, "polling", allowed)
        assert client.call("my event", {"data": "hi"}, namespace=NAMESPACE)["ok"] is True
        client.disconnect()
        refused = requests.get(
            f"{listed.url}/socket.io/", params={"EIO": "4", "transport": "polling"}, headers={"Origin": EVIL}, timeout=5
        )
        assert refused.status_code == 400
        assert json.loads(refused.text) == "Not an accepted origin."
