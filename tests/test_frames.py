"""FrameReader on hand-made bytes: what it returns, what it refuses, and how much it reads before refusing.

The frames come from an in-memory stream (the reader only needs `read`),
so each test can check exactly where the reader stopped: a refused frame's
payload is never read. The stalled-frame test uses a real gevent socket
pair, since a stall needs a read that blocks.
"""

import io
import logging
import os
import struct
import time
import tracemalloc

import gevent
import pytest
from gevent import socket as gsocket
from geventwebsocket.websocket import Header

from playground.frames import (
    MESSAGE_TOO_BIG,
    PROTOCOL_ERROR,
    FrameReader,
    FrameRefused,
    FrameStalled,
    IdleTimeout,
)
from playground.transport import READ_SLICE, _WatchedWebSocket
from tests.figures import record
from tests.test_coalescing import serve as _coalescing_serve  # noqa: F401 (a fixture, used below)

LIMIT = 64 * 1024
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def client_frame(payload, opcode=TEXT, fin=True, mask=None, masked=True, rsv=0, length=None):
    """A client frame as the RFC has it: masked with `mask` (random by default); `length` may lie."""
    length = len(payload) if length is None else length
    first = (0x80 if fin else 0) | rsv | opcode
    bit = 0x80 if masked else 0
    if length < 126:
        header = struct.pack("!BB", first, bit | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", first, bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, bit | 127, length)
    if not masked:
        return header + payload
    mask = os.urandom(4) if mask is None else mask
    return header + mask + bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))


@pytest.fixture
def one_websocket(request):
    """test_coalescing's `serve`: `one_websocket(handle)` serves one WebSocket in this process, returns its Peer."""
    return request.getfixturevalue("_coalescing_serve")


@pytest.fixture
def pair():
    """A connected pair of gevent sockets, (server side, client side), closed afterwards."""
    server, client = gsocket.socketpair()
    yield server, client
    server.close()
    client.close()


def reader_of(data, pings=None, frame_timeout=None):
    """A FrameReader over `data`, and the stream (to see how far it read)."""
    stream = io.BytesIO(data)
    reader = FrameReader(stream.read, LIMIT, frame_timeout, (pings if pings is not None else []).append)
    return reader, stream


def refusal(data):
    """The FrameRefused that reading `data` raises, and how many bytes the reader had read by then."""
    reader, stream = reader_of(data)
    with pytest.raises(FrameRefused) as refused:
        reader.read_message()
    return refused.value, stream.tell()


def test_text_binary_and_fragments_with_a_ping_between_come_out_whole():
    """One text frame, one binary frame, a text message in three fragments with a ping in the middle, a close."""
    pings = []
    data = (
        client_frame("héllo ✓".encode())
        + client_frame(b"\x00\xff", BINARY)
        + client_frame(b"one ", TEXT, fin=False)
        + client_frame(b"two ", CONTINUATION, fin=False)
        + client_frame(b"are you there?", PING)
        + client_frame(b"three", CONTINUATION)
        + client_frame(b"", PONG)
        + client_frame(struct.pack("!H", 1000), CLOSE)
    )
    reader, _ = reader_of(data, pings)
    assert reader.read_message() == "héllo ✓"
    assert reader.read_message() == b"\x00\xff"
    assert reader.read_message() == "one two three"
    assert pings == [b"are you there?"]
    assert reader.read_message() is None  # the close frame


def test_a_message_of_exactly_the_limit_is_read():
    """The limit itself is allowed, in one frame or in fragments."""
    reader, _ = reader_of(
        client_frame(b"x" * LIMIT)
        + client_frame(b"y" * 1000, fin=False)
        + client_frame(b"z" * (LIMIT - 1000), CONTINUATION)
    )
    assert reader.read_message() == "x" * LIMIT
    assert reader.read_message() == "y" * 1000 + "z" * (LIMIT - 1000)


@pytest.mark.parametrize("declared", [LIMIT + 1, 1_000_000, 1 << 62, (1 << 64) - 1])
def test_a_frame_declared_over_the_limit_is_refused_before_its_payload(declared):
    """1009 on the header alone: the reader stops after the length, before the mask and the payload."""
    header = client_frame(b"", length=declared)[:-4]  # no mask key, no payload: the reader must not want them
    refused, read = refusal(header + b"never read")
    assert refused.code == MESSAGE_TOO_BIG
    assert refused.reason == f"a WebSocket frame of {declared} bytes"
    assert read == len(header)


def test_fragments_are_refused_once_their_total_passes_the_limit():
    """60 KiB fragments: the second takes the message past 64 KiB and is refused on its header."""
    first = client_frame(b"x" * 60 * 1024, fin=False)
    second = client_frame(b"x" * 60 * 1024, CONTINUATION, fin=False)
    refused, read = refusal(first + second + second)
    assert refused.code == MESSAGE_TOO_BIG
    assert refused.reason == f"a fragmented WebSocket message of over {120 * 1024} bytes"
    assert read == len(first) + 4  # the second fragment's 2-byte header and 2-byte length, nothing more


FRAGMENT = client_frame(b"a", fin=False)

PROTOCOL_ERRORS = {
    # name: (bytes sent, how many of them the reader reads before refusing)
    "ping over 125 bytes": (client_frame(b"p" * 126, PING), 2),
    "close declaring 1 TiB": (client_frame(b"", CLOSE, length=1 << 40)[:-4], 2),
    "fragmented ping": (client_frame(b"p", PING, fin=False), 2),
    "unmasked": (client_frame(b"hello", masked=False), 2),
    "reserved bit": (client_frame(b"hello", rsv=0x40), 2),
    "unknown data opcode": (client_frame(b"hello", 0x3), 2),
    "continuation of nothing": (client_frame(b"hello", CONTINUATION), 2),
    "new message inside a fragmented one": (FRAGMENT + client_frame(b"b"), len(FRAGMENT) + 2),
    # A control frame is small by then: read, then refused for its opcode.
    "unknown control opcode": (client_frame(b"hello", 0xB), 11),
}


@pytest.mark.parametrize("case", list(PROTOCOL_ERRORS))
def test_protocol_errors_are_refused_with_1002(case):
    """RFC 6455's rules for client frames, each refused as soon as the header shows it, payload unread."""
    data, expected_read = PROTOCOL_ERRORS[case]
    refused, read = refusal(data)
    assert refused.code == PROTOCOL_ERROR
    assert read == expected_read


def test_a_message_of_tiny_fragments_costs_no_more_memory_than_the_message():
    """65,536 one-byte fragments make a 64 KiB message; reading them holds about that much, not a list of 65,536."""
    data = client_frame(b"a", fin=False) + client_frame(b"b", CONTINUATION, fin=False) * (LIMIT - 2)
    data += client_frame(b"c", CONTINUATION)
    reader, _ = reader_of(data)
    tracemalloc.start()
    try:
        message = reader.read_message()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message == "a" + "b" * (LIMIT - 2) + "c"
    record("transport", "65,536 one-byte fragments: peak memory while reading (KiB)", round(peak / 1024))
    assert peak < 4 * LIMIT


def test_text_that_is_not_utf8_is_refused_with_1007():
    """Invalid UTF-8 in a text message: 1007, as gevent-websocket does."""
    refused, _ = refusal(client_frame(b"\xff\xfe"))
    assert refused.code == 1007


def test_the_end_of_the_stream_in_the_middle_of_a_frame_is_an_eof():
    """A peer gone halfway through a frame ends the reading with EOFError, not a short message."""
    reader, _ = reader_of(client_frame(b"x" * 1000)[:500])
    with pytest.raises(EOFError):
        reader.read_message()


def test_a_frame_that_stalls_halfway_is_given_up_after_the_frame_timeout(pair):
    """A header, part of the payload, then silence: FrameStalled after the frame timeout, not a wait for ever."""
    server, client = pair
    client.sendall(client_frame(b"x" * 60_000)[:1000])
    reader = FrameReader(server.makefile("rb").read, LIMIT, 0.2, lambda payload: None)
    start = time.monotonic()
    with pytest.raises(FrameStalled):
        reader.read_message()
    assert 0.2 <= time.monotonic() - start < 1


def test_silence_before_a_frame_ends_the_reading_after_the_idle_timeout_but_a_frame_resets_it(pair):
    """Frames 0.15 s apart read fine with an idle timeout of 0.3 s; then silence: IdleTimeout (an OSError), 0.3 s on."""
    server, client = pair
    reader = FrameReader(server.makefile("rb").read, LIMIT, 1.0, lambda payload: None, idle_timeout=0.3)
    for text in ("one", "two", "three"):
        gevent.spawn_later(0.15, client.sendall, client_frame(text.encode()))
        assert reader.read_message() == text  # each wait is under the timeout: the timer starts afresh
    start = time.monotonic()
    with pytest.raises(IdleTimeout) as raised:
        reader.read_message()
    assert isinstance(raised.value, OSError)  # what `_WatchedWebSocket.receive` takes as the end
    assert 0.3 <= time.monotonic() - start < 1


def test_each_frame_gets_the_whole_frame_timeout_however_many_came_before(pair):
    """Frames whose halves come 0.15 s apart, with a frame timeout of 0.3 s: each is read (the timer starts afresh)."""
    server, client = pair
    reader = FrameReader(server.makefile("rb").read, LIMIT, 0.3, lambda payload: None)
    for text in ("one", "two", "three", "four"):
        frame = client_frame(text.encode())
        client.sendall(frame[:3])
        gevent.spawn_later(0.15, client.sendall, frame[3:])
        assert reader.read_message() == text
    client.sendall(client_frame(b"five")[:3])
    start = time.monotonic()
    with pytest.raises(FrameStalled):
        reader.read_message()
    assert 0.3 <= time.monotonic() - start < 1


def test_a_full_size_frame_is_unmasked_in_microseconds():
    """Read and unmasked at C speed: a 64 KiB frame costs well under a millisecond (gevent-websocket: ~8 ms)."""
    payload = os.urandom(LIMIT)
    data = client_frame(payload, BINARY)
    reader, stream = reader_of(data)
    best = float("inf")
    for _ in range(50):
        stream.seek(0)
        start = time.perf_counter()
        message = reader.read_message()
        best = min(best, time.perf_counter() - start)
    assert message == payload
    header = Header(length=LIMIT)
    header.mask = os.urandom(4)
    start = time.perf_counter()
    header.unmask_payload(payload)  # gevent-websocket's own loop, for comparison
    before = time.perf_counter() - start
    record(
        "transport",
        "64 KiB frame: read and unmasked (µs, best of 50); gevent-websocket's unmask alone (µs)",
        f"{best * 1e6:.1f}; {before * 1e6:.0f}",
    )
    assert best < 0.002


def ticker(ticks):
    """A task that counts its turns: each time the event loop lets it run, one more tick."""
    while True:
        ticks.append(time.perf_counter())
        gevent.sleep(0)


STREAMS = {
    # what a client sends back to back, already buffered, and the messages it makes (Engine.IO messages, `4…`)
    "2,000 frames of 1 KB": (client_frame(b"4" + b"x" * 999) * 2000, ["4" + "x" * 999] * 2000),
    "20,000 pings, then a frame": (client_frame(b"", PING) * 20_000 + client_frame(b"4end"), ["4end"]),
    "20,000 one-byte fragments": (
        client_frame(b"4", fin=False)
        + client_frame(b"b", CONTINUATION, fin=False) * 19_998
        + client_frame(b"c", CONTINUATION),
        ["4" + "b" * 19_998 + "c"],
    ),
}


@pytest.mark.parametrize("stream", list(STREAMS))
def test_the_websocket_reader_lets_other_greenlets_run_while_its_socket_always_has_data(one_websocket, stream):
    """Everything buffered already: `_WatchedWebSocket` yields every READ_SLICE, and a ticker keeps ticking."""
    data, expected = STREAMS[stream]
    ticks, read = [], []

    def handle(websocket, environ):
        watched = _WatchedWebSocket(websocket, environ, LIMIT, pacer=None, sleep=gevent.sleep)
        gevent.sleep(0.5)  # let every frame arrive first: from here on the socket always has data
        task = gevent.spawn(ticker, ticks)
        gevent.sleep(0)
        start = time.perf_counter()
        while len(read) < len(expected):
            read.append(watched.receive())
        read.append(time.perf_counter() - start)
        task.kill()

    peer = one_websocket(handle)
    peer.sock.sendall(data)
    deadline = time.monotonic() + 20
    while len(read) <= len(expected) and time.monotonic() < deadline:
        gevent.sleep(0.05)
    elapsed = read.pop()
    assert read == expected
    record("transport", f"{stream} buffered: read in (ms), ticker's turns", f"{elapsed * 1000:.1f}, {len(ticks)}")
    assert len(ticks) >= elapsed / (10 * READ_SLICE), (len(ticks), elapsed)


def test_an_oversized_frame_gets_a_1009_close_frame_and_one_warning(one_websocket, caplog):
    """On the wire: the server's close frame carries 1009 (gevent-websocket's own `close` sends no code)."""
    results = []

    def handle(websocket, environ):
        watched = _WatchedWebSocket(websocket, environ, LIMIT, pacer=None, sleep=gevent.sleep)
        results.append(watched.receive())

    with caplog.at_level(logging.WARNING, logger="playground.transport"):
        peer = one_websocket(handle)
        peer.sock.sendall(client_frame(b"", length=1 << 62)[:-4])
        opcode, payload = peer.frame()
    assert (opcode, struct.unpack("!H", payload[:2])[0]) == (CLOSE, MESSAGE_TOO_BIG)
    assert results == [None]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert f"a WebSocket frame of {1 << 62} bytes exceeds MAX_HTTP_BUFFER_SIZE={LIMIT}" in warnings[0]
