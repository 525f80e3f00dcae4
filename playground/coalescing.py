"""One write per burst: WebSocket frames sent back to back leave in a single `send`.

Engine.IO gives every WebSocket client a writer task that takes all the
packets waiting in the client's queue and sends them one by one, each as
its own frame: `for pkt in packets: ws.send(pkt.encode())`. Each of those
is a trip through gevent's socket code and a `send` system call. During a
broadcast burst every client has several packets waiting (about four
each in the bench's fan-out to 500), so most of the server's time went on
writes that could have been one.

`CoalescingWriter` stands in for the WebSocket's `send`: it builds the
frame at once but keeps it until the task that sent it next waits (a
gevent hub callback, which runs only when the sending task has gone back
to the event loop). By then the writer has sent its whole batch, and all
of it goes out in one non-blocking write. Nothing else changes:

- Order: frames go out in the order they were sent, each whole.
- Back-pressure: when the socket does not take a batch at once, the rest
  is written by a short-lived task, and the next `send` waits for it. So a
  client that stops reading still stops its writer, and its packets wait
  in Engine.IO's queue, where `transport.OutboxMonitor` sees them.
- Errors: a failed write is raised by the next `send`, as a failed
  `send` was before, and Engine.IO's writer stops there.
- Memory: past `FLUSH_AT` bytes pending, `send` writes at once, as it
  did before, so big messages are not held twice over (as frames and as
  the joined write) for every client.
- Closing: `flush` writes what is pending first, so the close frame comes
  after the data.

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


class CoalescingWriter:
    """The `send` of one gevent-websocket connection, made to write a burst of frames at once."""

    __slots__ = (
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
        # Header and payload of each frame sent since the last write, in order.
        self._pending = []
        self._pending_bytes = 0
        # The task writing what the socket did not take at once, while it runs.
        self._finisher = None
        # What a write raised, for the next `send` to raise.
        self._error = None
        #: How many writes reached the socket, and how many frames they carried.
        self.writes = 0
        self.frames = 0

    def send(self, message):
        """Send `message` (text if a `str`, else binary) as one frame, in the next write."""
        if self._finisher is not None:
            # The last batch is still going out: wait, as a blocking `send` would.
            self._finisher.join()
        if self._error is not None or self._websocket.closed:
            raise WebSocketError(f"cannot send on a closed WebSocket: {self._error or 'closed'}")
        if isinstance(message, str):
            payload, opcode = message.encode(), WebSocket.OPCODE_TEXT
        else:
            payload, opcode = bytes(message), WebSocket.OPCODE_BINARY
        if not self._pending:
            self._loop.run_callback(self._write_pending)
        self._pending.append(_header(opcode, len(payload)))
        self._pending.append(payload)
        self._pending_bytes += len(payload)
        self.frames += 1
        if self._pending_bytes >= FLUSH_AT:
            self.flush()

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
        data = b"".join(pending)
        self.writes += 1
        return data

    def _write_pending(self):
        """In the event loop, once the sender waits: write the batch, or start a task for what does not fit."""
        data = self._take_pending()
        if not data:
            return
        try:
            # Non-blocking (timeout 0): the event loop itself must never wait on a socket.
            sent = self._socket.send(data, 0, 0.0)
        except BlockingIOError:
            sent = 0
        except Exception as exc:  # raised in the event loop: kept for the next `send`
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
