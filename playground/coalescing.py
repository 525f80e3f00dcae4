"""Fewer writes per burst: WebSocket frames sent back to back leave in two `send`s, not one each.

Engine.IO gives every WebSocket client a writer task that takes all the
packets waiting in the client's queue and sends them one by one, each as
its own frame: `for pkt in packets: ws.send(pkt.encode())`. Each of those
is a trip through gevent's socket code and a `send` system call. During a
broadcast burst every client has several packets waiting (about four
each in the bench's fan-out to 500), so most of the server's time went on
writes that could have been fewer.

`CoalescingWriter` stands in for the WebSocket's `send`. The first frame
of a burst is written at once, so a lone packet (an echo, a feed tick)
waits for nothing and the client can start reading while the server goes
on. The frames that follow it are kept until the sending task next waits
(a gevent hub callback, which runs only once that task has gone back to
the event loop): by then the writer has sent its whole batch, and the rest
goes out in one non-blocking write. Holding back the first frame too would
save one more `send`, but it delays every client's first packet until all
the writers have run, and in the bench that cost more than it saved.
Nothing else changes:

- Order: frames go out in the order they were sent, each whole. One task
  sends on a connection at a time (Engine.IO's writer, or during an
  upgrade the request's own task before the writer starts).
- Back-pressure: when the socket does not take a write at once, the rest
  is written by a short-lived task, and the next `send` waits for it. So a
  client that stops reading still stops its writer, and its packets wait
  in Engine.IO's queue, where `outbox.OutboxMonitor` sees them.
- Errors: a failed write is raised by the next `send`, as a failed
  `send` was before, and Engine.IO's writer stops there.
- Memory: past `FLUSH_AT` bytes pending, `send` writes at once, as it
  did before, so big messages are not held twice over (as frames and as
  the joined write) for every client.
- Closing: `flush` writes what is pending first, so the close frame comes
  after the data.

Two more savings for a broadcast, where every receiver gets the same text:

- A server's frames are unmasked, so a broadcast's frame is the same bytes
  for every receiver: the last frame built is kept with the text it was
  built from, and the next `send` of that same string object (python-socketio
  encodes a broadcast once and hands every receiver the same string) reuses it.
- `send_now` lets the task that emits (see `directsend`) write a frame
  itself when the client's writer is idle, without waking it; it declines
  when a write is still going out, so that frame takes the usual way.

What it does not cover: gevent-websocket writes its own control frames (a
pong, its answer to a close) straight to the socket, as before.
"""

import gevent
from geventwebsocket.exceptions import WebSocketError
from geventwebsocket.websocket import Header, WebSocket

#: Pending bytes past which `send` writes at once instead of waiting for the end of the burst.
FLUSH_AT = 64 * 1024


def _header(opcode, length):
    """The header of an unmasked, final server frame: two bytes for the usual short packet."""
    if length < 126:
        return bytes((0x80 | opcode, length))
    return bytes(Header.encode_header(True, opcode, b"", length, 0))


class _LastFrame:
    """The last frame built, and the message it was built from: a broadcast's receivers share it."""

    message = None
    frame = b""


def frame_of(message):
    """The whole unmasked frame (header and payload) for `message`: text if a `str`, else binary.

    Built once for a run of sends of the same object, as a broadcast is:
    python-socketio encodes it once and Engine.IO hands every receiver that string.
    """
    if message is _LastFrame.message:
        return _LastFrame.frame
    if isinstance(message, str):
        payload, opcode = message.encode(), WebSocket.OPCODE_TEXT
    else:
        payload, opcode = bytes(message), WebSocket.OPCODE_BINARY
    frame = _header(opcode, len(payload)) + payload
    if len(frame) <= FLUSH_AT:  # a big one is not kept alive past its own sends
        _LastFrame.message, _LastFrame.frame = message, frame
    return frame


class CoalescingWriter:
    """The `send` of one gevent-websocket connection, made to write a burst of frames at once."""

    __slots__ = (
        "_burst_open",
        "_error",
        "_finisher",
        "_loop",
        "_pending",
        "_pending_bytes",
        "_socket",
        "_websocket",
        "frames",
        "writes",
    )

    def __init__(self, websocket):
        """Write for `websocket`, a gevent-websocket `WebSocket` that has finished its handshake."""
        self._websocket = websocket
        self._socket = websocket.handler.socket
        self._loop = gevent.get_hub().loop
        # Header and payload of each frame sent since the last write, in order, and their size.
        self._pending = []
        self._pending_bytes = 0
        # Whether a burst's first frame went out and `_end_burst` is due.
        self._burst_open = False
        # The task writing what the socket did not take at once, while it runs.
        self._finisher = None
        # What a write raised, for the next `send` to raise.
        self._error = None
        #: How many writes reached the socket, and how many frames they carried.
        self.writes = 0
        self.frames = 0

    def send(self, message):
        """Send `message` (text if a `str`, else binary) as one frame: at once if it starts a burst, else soon."""
        if self._finisher is not None:
            # The last batch is still going out: wait, as a blocking `send` would.
            self._finisher.join()
        if self._error is not None or self._websocket.closed:
            raise WebSocketError(f"cannot send on a closed WebSocket: {self._error or 'closed'}")
        self._add(message)
        if not self._burst_open:
            # The first frame since the sender last waited: out now, and the rest when it waits.
            self._burst_open = True
            self._loop.run_callback(self._end_burst)
            self._write_pending()
        elif self._pending_bytes >= FLUSH_AT:
            self.flush()

    def send_now(self, message):
        """Write `message` at once, without waiting for anything; False (nothing done) if that cannot be.

        For a sender other than the connection's writer, when that writer is
        idle: what is pending goes first, then this frame, in one
        non-blocking write; a short-lived task finishes what the socket does
        not take, and every `send` waits for it, as after any burst.
        """
        if self._finisher is not None or self._error is not None or self._websocket.closed:
            return False
        self._add(message)
        self._write_pending()
        return True

    def _add(self, message):
        """Queue the frame of `message` behind the pending ones."""
        frame = frame_of(message)
        self._pending.append(frame)
        self._pending_bytes += len(frame)
        self.frames += 1

    def _end_burst(self):
        """In the event loop, once the sender waits: write what it sent after the burst's first frame."""
        self._burst_open = False
        self._write_pending()

    def flush(self):
        """Write what is pending now, waiting for the socket if need be (before a close frame)."""
        if self._finisher is not None:
            self._finisher.join()
        data = self._take_pending()
        if data:
            self._write_all(data)

    def _take_pending(self):
        """The pending frames as one buffer (empty once the connection is closed or broken)."""
        pending, self._pending, self._pending_bytes = self._pending, [], 0
        if not pending or self._error is not None or self._websocket.closed:
            return b""
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        self.writes += 1
        return data

    def _write_pending(self):
        """Write the pending frames without waiting; a short-lived task writes what the socket does not take."""
        data = self._take_pending()
        if not data:
            return
        try:
            # Non-blocking (timeout 0): this also runs in the event loop, which must never wait on a socket.
            sent = self._socket.send(data, 0, 0.0)
        except BlockingIOError:
            sent = 0
        except Exception as exc:  # kept for the next `send` (and nothing may escape into the event loop)
            self._error = exc
            return
        if sent < len(data):
            self._finisher = gevent.spawn(self._write_all, memoryview(data)[sent:])

    def _write_all(self, data):
        """Write all of `data`, waiting for the socket as long as it takes; a failure is kept for `send`."""
        try:
            self._socket.sendall(data)
        except Exception as exc:  # the writer learns of it on its next `send`
            self._error = exc
        finally:
            self._finisher = None
