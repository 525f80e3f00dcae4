"""PingTimers: each client's pings come from a timer, not from a task asleep in between, and nothing else changes.

The app is served in this process with a short ping interval and read by
raw WebSocket peers (tests/test_directsend.py's `Client`), so the PING
frames on the wire, the pongs' effect and the tasks alive can be checked.
"""

import gc

import gevent
import pytest
from gevent.pywsgi import WSGIServer
from geventwebsocket.handler import WebSocketHandler

from playground import create_app, socketio
from playground.pings import PingTimers
from tests.hostile.wire import _frame
from tests.test_directsend import Client

PING_INTERVAL = 0.3


@pytest.fixture
def live():
    """The app served in this process with pings every `PING_INTERVAL` s: (port, its PingTimers)."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0, "PING_INTERVAL": PING_INTERVAL, "PING_TIMEOUT": 1}
    )
    server = WSGIServer(("127.0.0.1", 0), app, handler_class=WebSocketHandler, log=None, error_log=None)
    server.start()
    yield server.server_port, app.extensions["levers"]["pings"]
    server.stop(timeout=1)


def next_ping(client, timeout):
    """Wait for the next PING frame ("2"), skipping anything else; return how long it took."""
    started = gevent.get_hub().loop.now()
    with gevent.Timeout(timeout, AssertionError("no ping")):
        while client.text() != "2":
            pass
    return gevent.get_hub().loop.now() - started


def sleeping_ping_tasks():
    """How many greenlets are Engine.IO ping tasks (`Socket._send_ping`) right now."""
    return sum(
        1
        for obj in gc.get_objects()
        if isinstance(obj, gevent.Greenlet) and getattr(obj, "_run", None) is not None and "send_ping" in repr(obj._run)
    )


def test_a_client_that_answers_gets_a_ping_every_interval_and_stays(live):
    """Five pings in a row, each about `PING_INTERVAL` after the pong before it; the client stays connected."""
    port, timers = live
    client = Client(port)
    gaps = []
    for _ in range(5):
        gaps.append(next_ping(client, timeout=3))
        client.sock.sendall(_frame("3"))  # pong
    assert all(gap < PING_INTERVAL + 0.5 for gap in gaps[1:]), gaps
    assert timers.timers >= 5, "one at the connect, one after each pong the server has read"
    assert len(socketio.server.eio.sockets) == 1


def test_no_task_sleeps_between_pings(live):
    """Ten clients waiting for their next ping: no ping task is alive for any of them."""
    port, _ = live
    clients = [Client(port) for _ in range(10)]
    gevent.sleep(PING_INTERVAL / 3)
    assert len(socketio.server.eio.sockets) == len(clients)
    assert sleeping_ping_tasks() == 0


def test_a_client_that_stops_answering_is_dropped_as_before(live):
    """No pong: Engine.IO still closes the client after the ping timeout."""
    port, _ = live
    client = Client(port)
    next_ping(client, timeout=3)
    with gevent.Timeout(5, AssertionError("the silent client was never dropped")):
        while socketio.server.eio.sockets:
            gevent.sleep(0.1)
    assert client is not None


def test_any_other_task_and_a_patched_ping_task_start_as_before():
    """Only Engine.IO's own `_send_ping` becomes a timer; anything else goes to Engine.IO's own starter."""
    started = []

    class FakeServer:
        ping_interval = 25

        def start_background_task(self, target, *args, **kwargs):
            started.append(target)

    timers = PingTimers(FakeServer())

    def other():
        """Not a ping."""

    class Patched:
        def _send_ping(self):
            """What a patch (the Admin UI's) puts in Engine.IO's place."""

    timers.start_background_task(other)
    timers.start_background_task(Patched()._send_ping)
    assert [target.__name__ for target in started] == ["other", "_send_ping"]
    assert timers.timers == 0
