"""CoalescingWriter on a real gevent-websocket connection: fewer writes per burst, and nothing else changes.

Each test serves one WebSocket with gevent's WSGI server and gevent-websocket's
handler, in this process, and reads it with a gevent socket doing the client's
side of RFC 6455 by hand, so the bytes on the wire are what is checked.
"""

import base64
import os
import socket
import struct

import gevent
import pytest
from gevent import socket as gsocket
from gevent.pywsgi import WSGIServer
from geventwebsocket.exceptions import WebSocketError
from geventwebsocket.handler import WebSocketHandler

from playground.coalescing import FLUSH_AT, CoalescingWriter, frame_of
from playground.transport import _WatchedWebSocket

TEXT, BINARY, CLOSE = 0x1, 0x2, 0x8


class Peer:
    """The client's end: a gevent socket after the WebSocket handshake, reading whole frames."""

    def __init__(self, port, rcvbuf=None, path="/ws"):
        """Connect to `port` and upgrade `path`; `rcvbuf` shrinks the receive buffer (set before connecting)."""
        self.sock = gsocket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        status, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        assert b" 101 " in status.split(b"\r\n")[0]

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        return chunk

    def _take(self, count):
        while len(self.buffer) < count:
            self.buffer += self._recv()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def frame(self):
        """The next frame as (opcode, payload); asserts the server's frames are final and unmasked."""
        first, second = self._take(2)
        assert first & 0x80 and not second & 0x80
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._take(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._take(8))
        return first & 0x0F, self._take(length)

    def frames(self, count):
        """The next `count` frames."""
        return [self.frame() for _ in range(count)]


@pytest.fixture
def serve():
    """Serve one WebSocket per connection to `handle(websocket)`; returns a connected Peer."""
    servers = []

    def _serve(handle, rcvbuf=None):
        def app(environ, start_response):
            handle(environ["wsgi.websocket"], environ)
            return []

        server = WSGIServer(("127.0.0.1", 0), app, handler_class=WebSocketHandler, log=None, error_log=None)
        server.start()
        servers.append(server)
        return Peer(server.server_port, rcvbuf)

    yield _serve
    for server in servers:
        server.stop(timeout=1)


def run_in_handler(serve, body, rcvbuf=None):
    """Serve `body(writer, websocket)` in the connection's own task; returns (peer, the task's result)."""
    result = gevent.event.AsyncResult()

    def handle(websocket, environ):
        try:
            result.set(body(CoalescingWriter(websocket), websocket))
        except BaseException as exc:  # handed to the test
            result.set_exception(exc)
        gevent.sleep(1)  # keep the connection open while the peer reads

    return serve(handle, rcvbuf), result


def test_a_burst_leaves_in_two_writes_in_order(serve):
    """Five frames sent without waiting: the first at once, the other four together once the sender waits."""

    def body(writer, websocket):
        for message in ["0", "one", "hé ✓", b"\x00\xffbinary", "x" * 300]:
            writer.send(message)
        before_waiting = writer.writes
        gevent.sleep(0)  # the sender waits: the rest of the burst goes out now
        return before_waiting, writer.writes, writer.frames

    peer, result = run_in_handler(serve, body)
    assert result.get(timeout=5) == (1, 2, 5)
    assert peer.frames(5) == [
        (TEXT, b"0"),
        (TEXT, b"one"),
        (TEXT, "hé ✓".encode()),
        (BINARY, b"\x00\xffbinary"),
        (TEXT, b"x" * 300),
    ]


def test_every_wait_starts_a_new_burst(serve):
    """A lone frame leaves at once; after each wait the next frame leaves at once again."""

    def body(writer, websocket):
        writes = []
        writer.send("a")
        writes.append(writer.writes)  # a lone frame is not held back
        gevent.sleep(0)
        writes.append(writer.writes)  # nothing else was pending
        writer.send("b")
        writer.send("c")
        writer.send("d")
        writes.append(writer.writes)  # b at once, c and d held
        gevent.sleep(0)
        writes.append(writer.writes)  # c and d together
        return writes, writer.frames

    peer, result = run_in_handler(serve, body)
    assert result.get(timeout=5) == ([1, 1, 2, 3], 4)
    assert peer.frames(4) == [(TEXT, b"a"), (TEXT, b"b"), (TEXT, b"c"), (TEXT, b"d")]


def test_a_peer_that_does_not_read_stops_the_sender_and_then_gets_everything(serve):
    """Back-pressure: sends block once the socket is full, and resume, in order, once the peer reads."""
    sent = []
    payload = "y" * 60_000

    def body(writer, websocket):
        for number in range(200):  # 12 MB: far more than the socket buffers hold
            writer.send(f"{number:03d}{payload}")
            sent.append(number)
            if number % 4 == 3:
                gevent.sleep(0)
        gevent.sleep(0)
        return writer.writes

    peer, result = run_in_handler(serve, body, rcvbuf=4096)
    gevent.sleep(0.5)
    stuck_at = len(sent)
    gevent.sleep(0.5)
    assert len(sent) == stuck_at < 200, "the sender must wait for a peer that does not read"
    frames = peer.frames(200)
    assert result.get(timeout=10) >= 50
    assert [int(data[:3]) for _, data in frames] == list(range(200))
    assert all(data[3:] == payload.encode() for _, data in frames)


def test_a_failed_write_is_raised_by_a_later_send(serve):
    """Once the peer is gone (a reset), a later `send` raises, as gevent-websocket's own would."""
    gone = gevent.event.Event()

    def body(writer, websocket):
        gone.wait(5)
        for attempt in range(100):
            try:
                writer.send("into the void")
            except WebSocketError:
                return attempt
            gevent.sleep(0.01)
        return None

    peer, result = run_in_handler(serve, body)
    peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.sock.close()
    gone.set()
    attempts = result.get(timeout=5)
    assert attempts is not None and attempts >= 1


def test_close_sends_what_is_pending_before_the_close_frame(serve):
    """The WebSocket wrapper flushes on close: the data, then the (empty) close frame."""

    def handle(websocket, environ):
        watched = _WatchedWebSocket(websocket, environ, limit=1000, pacer=None, sleep=gevent.sleep)
        watched.send("last words")
        watched.send("really")
        watched.close()

    peer = serve(handle)
    assert peer.frames(3) == [(TEXT, b"last words"), (TEXT, b"really"), (CLOSE, b"")]


def test_send_after_close_raises(serve):
    """A closed WebSocket refuses to send, so Engine.IO's writer stops."""

    def body(writer, websocket):
        websocket.close()
        with pytest.raises(WebSocketError):
            writer.send("too late")
        return True

    peer, result = run_in_handler(serve, body)
    assert result.get(timeout=5) is True
    assert peer.frame()[0] == CLOSE


def test_a_big_burst_is_written_as_it_grows(serve):
    """Past FLUSH_AT pending bytes a `send` writes at once, so a burst of big messages is not held twice."""
    size = FLUSH_AT // 2 + 1

    def body(writer, websocket):
        writes = []
        for letter in "abc":
            writer.send(letter * size)
            writes.append(writer.writes)
        writer.send("d")
        gevent.sleep(0)
        writes.append(writer.writes)
        return writes

    peer, result = run_in_handler(serve, body)
    # a at once; b held (half the limit); c takes it past the limit: b and c now; d once the sender waits.
    assert result.get(timeout=5) == [1, 1, 2, 3]
    assert peer.frames(4) == [(TEXT, b"a" * size), (TEXT, b"b" * size), (TEXT, b"c" * size), (TEXT, b"d")]


def test_a_broadcasts_frame_is_built_once_for_all_its_receivers():
    """The same string object sent again reuses its frame; any other message gets its own, correct frame."""
    message = "42/test," + '["my response",{"data":"x"}]' * 10
    frame = frame_of(message)
    assert frame == bytes((0x81, 126)) + len(message).to_bytes(2, "big") + message.encode()
    assert frame_of(message) is frame
    assert frame_of("other") == b"\x81\x05other"
    assert frame_of(b"\x00\x01") == b"\x82\x02\x00\x01"
    big = "z" * (FLUSH_AT + 1)
    assert frame_of(big) is not frame_of(big), "a big frame is not kept past its own send"
