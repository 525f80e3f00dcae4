"""DirectSend: a packet for an idle WebSocket client is written by the emitting task, and nothing else changes.

The live tests serve the real app with gevent's WSGI server in this process
and read it with raw WebSocket peers (tests/test_coalescing.py's `Peer`), so
the frames on the wire and the server's own counters can both be checked.
"""

import json

import gevent
import pytest
from gevent.pywsgi import WSGIServer
from geventwebsocket.handler import WebSocketHandler

from playground import create_app, socketio
from playground.config import NAMESPACE
from playground.directsend import DirectSend
from playground.writer import WriterQueue
from tests.hostile.wire import _frame
from tests.test_coalescing import Peer

EIO_PATH = "/socket.io/?EIO=4&transport=websocket"
EVENT = f"42{NAMESPACE},"


class Client(Peer):
    """A raw WebSocket peer that has joined `/test` and read its greeting."""

    def __init__(self, port, rcvbuf=None):
        """Connect, open Engine.IO, join the namespace, read up to the greeting."""
        super().__init__(port, rcvbuf, path=EIO_PATH)
        assert self.text().startswith("0{")
        self.sock.sendall(_frame(f"40{NAMESPACE},"))
        # The greeting is emitted by the connect handler, which python-socketio runs before it
        # sends the namespace's CONNECT packet: it may come first (clients buffer it).
        seen = {"connect": False, "greeting": False}
        while not all(seen.values()):
            packet = self.text()
            seen["connect"] |= packet.startswith(f"40{NAMESPACE},")
            seen["greeting"] |= packet.startswith(EVENT) and '"Connected"' in packet

    def text(self):
        """The next text frame's payload, as a string."""
        opcode, payload = self.frame()
        assert opcode == 0x1
        return payload.decode()

    def events(self, count):
        """The `data` of the next `count` `my response` events (feed and presence frames skipped)."""
        found = []
        while len(found) < count:
            packet = self.text()
            if packet.startswith(EVENT):
                name, *args = json.loads(packet[len(EVENT) :])
                if name == "my response":
                    found.append(args[0]["data"])
        return found


@pytest.fixture
def live():
    """The app served in this process: (port, its DirectSend); stopped at teardown."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0, "MAX_QUEUED_PACKETS": 100_000, "RATE_LIMIT": 0}
    )
    server = WSGIServer(("127.0.0.1", 0), app, handler_class=WebSocketHandler, log=None, error_log=None)
    server.start()
    yield server.server_port, app.extensions["levers"]["direct_send"]
    server.stop(timeout=1)


def emit(data):
    """What a broadcast handler does: `my response` to every client of `/test`."""
    socketio.emit("my response", {"data": data}, namespace=NAMESPACE)


def test_a_broadcast_to_idle_clients_is_written_without_their_writers(live):
    """Three idle clients: each packet of a broadcast is written at once, none queued, each arrives once."""
    port, direct_send = live
    clients = [Client(port) for _ in range(3)]
    gevent.sleep(0.1)  # every writer back to waiting on its queue
    direct, queued = direct_send.direct, direct_send.queued
    emit("hello")
    assert (direct_send.direct - direct, direct_send.queued - queued) == (3, 0)
    assert [client.events(1) for client in clients] == [["hello"]] * 3


def test_packets_sent_back_to_back_arrive_once_and_in_order(live):
    """2,000 packets to one client, the emitter yielding now and then: both paths are taken, order holds."""
    port, direct_send = live
    client = Client(port)
    gevent.sleep(0.1)
    direct = direct_send.direct

    def emitter():
        for number in range(2000):
            emit(number)
            if number % 7 == 6:
                gevent.sleep(0)

    task = gevent.spawn(emitter)
    assert client.events(2000) == list(range(2000))
    task.get(timeout=5)
    assert direct_send.direct > direct, "an idle client is written at once"


def test_a_client_that_does_not_read_queues_up_and_the_emitter_never_waits(live):
    """Back-pressure: once its socket is full a silent client's packets wait in its queue; it gets them all later."""
    port, direct_send = live
    silent = Client(port, rcvbuf=4096)
    other = Client(port)
    gevent.sleep(0.1)
    queued = direct_send.queued
    payload = "y" * 60_000
    with gevent.Timeout(5, AssertionError("the emitter waited for a client that does not read")):
        for number in range(200):  # 12 MB: far more than the socket buffers hold
            emit(f"{number:03d}{payload}")
            if number % 4 == 3:
                gevent.sleep(0)
    # The emitter got through all 200 without waiting for the silent client.
    sock = next(s for s in socketio.server.eio.sockets.values() if s.queue.qsize())
    assert sock.queue.qsize() > 50, "what the silent client does not read waits in its queue"
    assert direct_send.queued - queued >= 50
    assert [int(data[:3]) for data in other.events(200)] == list(range(200))
    received = silent.events(200)
    assert [int(data[:3]) for data in received] == list(range(200))
    assert all(data[3:] == payload for data in received)


class FakeSocket:
    """An Engine.IO socket as `DirectSend` sees it, idle and upgraded unless told otherwise."""

    def __init__(self, **state):
        """Set the attributes `DirectSend` reads; `queued` packets in the queue, `waiting` a writer."""
        self.upgraded, self.upgrading, self.closing, self.closed = True, False, False, False
        self.queue = WriterQueue()
        self.queue.waiting = True
        for name, value in state.items():
            setattr(self, name, value)
        for _ in range(state.get("queued", 0)):
            self.queue.put("earlier")

    def check_ping_timeout(self):
        """The client answers its pings."""
        return True


class FakeWriter:
    """A `CoalescingWriter` that takes (or declines) whatever it is given."""

    def __init__(self, takes=True):
        """`takes`: whether `send_now` writes."""
        self.takes, self.written = takes, []

    def send_now(self, message):
        """Record `message` if taking."""
        if self.takes:
            self.written.append(message)
        return self.takes


class FakePacket:
    """An Engine.IO packet whose encoding is its text."""

    def __init__(self, text):
        """The packet `text`."""
        self.text = text

    def encode(self):
        """Its wire form."""
        return self.text


def fake_direct_send(sock, writer):
    """A DirectSend over one fake socket `sid` and its writer; returns it and the list of queued packets."""
    queued = []

    class FakeServer:
        def __init__(self):
            self.sockets = {"sid": sock}

        def send_packet(self, sid, pkt):
            queued.append(pkt.text)

    websocket = type("FakeWebSocket", (), {"writer": writer})() if writer else None
    return DirectSend(FakeServer(), lambda sid: websocket), queued


@pytest.mark.parametrize(
    ("state", "writer"),
    [
        ({"upgraded": False}, FakeWriter()),  # polling
        ({"upgrading": True}, FakeWriter()),  # an upgrade under way
        ({"closing": True}, FakeWriter()),
        ({"closed": True}, FakeWriter()),
        ({"queued": 1}, FakeWriter()),  # packets ahead of this one
        ({"waiting": False}, FakeWriter()),  # the writer is busy with packets it took
        ({}, None),  # no WebSocket known for the session
        ({}, FakeWriter(takes=False)),  # a write is still going out
    ],
)
def test_anything_but_an_idle_websocket_goes_to_the_queue(state, writer):
    """Each condition on its own sends the packet the way Engine.IO always did: to the writer's queue."""
    waiting = state.pop("waiting", True)
    sock = FakeSocket(**state)
    sock.queue.waiting = waiting
    direct_send, queued = fake_direct_send(sock, writer)
    direct_send.send_packet("sid", FakePacket("4hello"))
    assert queued == ["4hello"]
    assert (direct_send.direct, direct_send.queued) == (0, 1)
    assert writer is None or writer.written == []


def test_an_idle_websocket_is_written_at_once():
    """The one case that skips the queue: upgraded, idle, nothing queued, the writer takes it."""
    writer = FakeWriter()
    direct_send, queued = fake_direct_send(FakeSocket(), writer)
    direct_send.send_packet("sid", FakePacket("4hello"))
    assert (writer.written, queued, direct_send.direct) == (["4hello"], [], 1)


def test_writer_queue_says_when_a_task_waits_in_get():
    """`waiting` is set only while a `get` blocks, and cleared once it has its item."""
    queue = WriterQueue()
    seen = []
    task = gevent.spawn(lambda: seen.append((queue.get(), queue.waiting)))
    gevent.sleep(0)
    assert queue.waiting is True and queue.qsize() == 0
    queue.put("packet")
    assert queue.qsize() == 1  # handed over but not yet taken: not idle
    task.join(timeout=1)
    assert seen == [("packet", False)] and queue.waiting is False
    queue.put("ready")
    assert queue.get() == "ready" and queue.waiting is False  # a get that does not block never sets it
