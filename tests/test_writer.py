"""LazyWriter: a WebSocket client's writer is a task only while something is queued for it; nothing else changes.

The app is served in this process and read by raw WebSocket peers
(tests/test_directsend.py's `Client`); the slow-reader and ordering cases
with packets queued are in tests/test_directsend.py, which go through it too.
"""

import gc

import gevent
import pytest
from gevent.pywsgi import WSGIServer
from geventwebsocket.handler import WebSocketHandler

from playground import create_app, socketio
from playground.config import NAMESPACE
from playground.writer import LazyWriter, LazyWriters
from tests.test_directsend import Client


@pytest.fixture
def live():
    """The app served in this process: (port, its LazyWriters)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0, "RATE_LIMIT": 0})
    server = WSGIServer(("127.0.0.1", 0), app, handler_class=WebSocketHandler, log=None, error_log=None)
    server.start()
    yield server.server_port, app.extensions["levers"]["writers"]
    server.stop(timeout=1)


def writer_tasks():
    """The greenlets alive right now that are writing for a `LazyWriter` (or are Engine.IO's own writer)."""
    return [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, gevent.Greenlet)
        and not obj.dead
        and ("LazyWriter" in repr(getattr(obj, "_run", None)) or "writer" in repr(getattr(obj, "_run", None)))
    ]


def wait_until(condition, timeout=5):
    """Yield to the server until `condition()` holds."""
    with gevent.Timeout(timeout, AssertionError("timed out")):
        while not condition():
            gevent.sleep(0.02)


def test_idle_clients_hold_no_writer_task(live):
    """Ten connected clients, each greeted: ten lazy writers, no writer task alive for any of them."""
    port, writers = live
    clients = [Client(port) for _ in range(10)]
    gevent.sleep(0.1)
    assert writers.writers == len(clients) == len(socketio.server.eio.sockets)
    assert writer_tasks() == []


def test_queued_packets_are_written_in_order_then_the_task_ends(live):
    """Packets put straight into a client's queue (as Engine.IO's pings are) arrive in order; no task is left."""
    port, _ = live
    client = Client(port)
    gevent.sleep(0.1)
    sock = next(iter(socketio.server.eio.sockets.values()))
    for number in range(50):
        sock.send(_eio_message(number))
        if number % 10 == 9:
            gevent.sleep(0)  # the writer's task ends between these bursts and starts again
    assert client.events(50) == list(range(50))
    gevent.sleep(0.05)
    assert writer_tasks() == []


def _eio_message(number):
    """An Engine.IO MESSAGE packet carrying `my response` with `number`, queued as Engine.IO queues packets."""
    from engineio import packet

    return packet.Packet(packet.MESSAGE, f'2{NAMESPACE},["my response",{{"data":{number}}}]')


def test_a_server_side_disconnect_closes_the_websocket(live):
    """Disconnecting a client from the server still sends its close frame and ends the session."""
    port, _ = live
    client = Client(port)
    gevent.sleep(0.1)
    (sid,) = socketio.server.eio.sockets
    socketio.server.eio.disconnect(sid)
    with gevent.Timeout(5, AssertionError("no close frame")):
        while client.frame()[0] != 0x8:
            pass
    wait_until(lambda: not socketio.server.eio.sockets)


def test_a_client_that_leaves_ends_its_session(live):
    """The client closes: Engine.IO's handler ends, having joined the lazy writer, and the session is gone."""
    port, _ = live
    client = Client(port)
    gevent.sleep(0.1)
    assert len(socketio.server.eio.sockets) == 1
    client.sock.sendall(b"\x88\x80" + b"\x00" * 4)  # a masked, empty close frame
    wait_until(lambda: not socketio.server.eio.sockets)
    assert writer_tasks() == []


def test_a_writer_with_nothing_queued_for_its_idle_timeout_closes():
    """No packet for the idle timeout: the WebSocket is closed, as Engine.IO's writer does when its wait times out."""
    from playground.writer import WriterQueue

    closed = []
    sock = type("FakeSocket", (), {"queue": WriterQueue()})()
    ws = type("FakeWebSocket", (), {"close": lambda self: closed.append(True), "send": lambda self, data: None})()
    writer = LazyWriter(sock, ws, idle_timeout=0.2)
    gevent.sleep(0.1)
    sock.queue.put(_eio_message(1))  # activity restarts the wait
    gevent.sleep(0.15)
    assert closed == []
    writer.join(timeout=1)
    assert closed == [True]


def test_any_other_task_starts_as_before():
    """Only Engine.IO's WebSocket writer becomes lazy; any other task goes to Engine.IO's own starter."""
    started = []

    class FakeServer:
        ping_interval, ping_timeout = 25, 20

        def start_background_task(self, target, *args, **kwargs):
            started.append(target.__name__)

    writers = LazyWriters(FakeServer())

    def writer():
        """Named like Engine.IO's, but not its closure."""

    writers.start_background_task(writer)
    assert started == ["writer"] and writers.writers == 0
