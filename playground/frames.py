"""Reading a client's WebSocket frames with every bound checked before the bytes are read.

gevent-websocket 0.10.1's reader trusts each frame's header: it reads
whatever length the header declares (up to 2^63 bytes), joins the fragments
of a message without any cap, unmasks every payload in a pure Python loop
(about 2.7 s of event loop for 16 MiB), and waits for the rest of a frame
for ever. `FrameReader` reads the same frames from the same buffered
socket file, under RFC 6455's rules, but:

- a frame whose header declares more than `limit` bytes, or a fragment that
  would take its message past `limit`, is refused on its header alone
  (`FrameRefused`, close code 1009): its payload is never read, so a
  client's message costs at most `limit` bytes of memory;
- a control frame over 125 bytes or fragmented, an unmasked frame, reserved
  bits or an unknown opcode is refused the same way with 1002, and text
  that is not UTF-8 with 1007;
- once a frame's header has arrived, the rest of it must follow within
  `frame_timeout` seconds (`FrameStalled`), so a client cannot hold a
  reader with a header and silence;
- payloads are unmasked by wsaccel's C masker: about 55 µs for a 64 KiB
  frame, where gevent-websocket's loop took 8 ms.

Pings are answered through `on_ping`, pongs ignored, and a close frame
from the peer ends the stream: `read_message` returns None. The wait for
a frame's first bytes is bounded by `idle_timeout`; what to do between
frames (let the event loop run, pace a flood) is the caller's `pause`, see
`transport._WatchedWebSocket`.
"""

import struct

import gevent
from wsaccel.xormask import XorMaskerSimple

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

#: RFC 6455 5.5: a control frame's payload is at most this long.
MAX_CONTROL_PAYLOAD = 125

#: The close codes a refusal sends (RFC 6455 7.4.1).
PROTOCOL_ERROR, INVALID_DATA, MESSAGE_TOO_BIG = 1002, 1007, 1009

_UNPACK_16 = struct.Struct("!H").unpack
_UNPACK_64 = struct.Struct("!Q").unpack


class FrameRefused(Exception):
    """A frame broke a bound or the protocol: close with `code`; `reason` says why, for the log."""

    def __init__(self, code, reason):
        """Keep the close code to send and the reason to log."""
        super().__init__(reason)
        self.code = code
        self.reason = reason


class FrameStalled(Exception):
    """The rest of a frame did not arrive within the reader's `frame_timeout`."""


class IdleTimeout(TimeoutError):
    """No frame began within the reader's `idle_timeout`: the peer is silent (an `OSError`, like a socket's timeout)."""


class Deadline:
    """A reusable timeout: `arm` it, and `exception` is raised in the arming task `seconds` later, unless `disarm`ed.

    Unlike a `gevent.Timeout` started again (which resumes what was left of
    its time: libev's stopped timers keep it), each `arm` counts from now.
    None as `seconds` never fires.
    """

    __slots__ = ("_exception", "_timer")

    def __init__(self, seconds, exception):
        """A timer of `seconds` that raises `exception` (a class or an instance)."""
        self._exception = exception
        # A repeating timer, for `again`: it restarts the count from now, armed or not.
        self._timer = None if seconds is None else gevent.get_hub().loop.timer(seconds, seconds)

    def arm(self):
        """Start counting `seconds` from now, for the task that calls this."""
        if self._timer is not None:
            self._timer.again(self._expire, gevent.getcurrent())

    def disarm(self):
        """Stop counting; nothing is raised."""
        if self._timer is not None:
            self._timer.stop()

    def _expire(self, task):
        """In the event loop, `seconds` after `arm`: stop repeating, raise `exception` in `task`."""
        self._timer.stop()
        task.throw(self._exception)


class FrameReader:
    """The messages of one client's WebSocket, read frame by frame from `read` (a buffered file's `read`)."""

    __slots__ = ("_idle", "_read", "_stall", "frame_timeout", "idle_timeout", "limit", "on_ping", "pause")

    def __init__(self, read, limit, frame_timeout, on_ping, pause=None, idle_timeout=None):
        """Read with `read(n)`; refuse messages over `limit` bytes; `on_ping(payload)` sends the pong.

        `pause()`, if given, runs before every frame but a message's first:
        a stream of pings or of tiny fragments is as long as a stream of
        messages, and must let the event loop run just the same.
        `idle_timeout` bounds the wait for a frame's first two bytes
        (`IdleTimeout`, an `OSError`); None waits for ever.
        """
        self._read = read
        self.limit = limit
        self.frame_timeout = frame_timeout
        self.idle_timeout = idle_timeout
        self.on_ping = on_ping
        self.pause = pause
        # One `Deadline` of each kind for every frame of this reader, made at its first frame: a
        # gevent.Timeout per frame (or a socket timeout, which makes one per wait) cost more
        # than the rest of reading a short frame in Python.
        self._idle = self._stall = None

    def read_message(self):
        """The next message: `str` for text, `bytes` for binary, None once the peer sent a close frame.

        Raises `FrameRefused` or `FrameStalled` as above, `IdleTimeout`, and
        the socket's own errors (`OSError`, `EOFError` when the peer is gone).
        """
        opcode, message, size, frames = None, b"", 0, 0
        while True:
            if frames and self.pause is not None:
                self.pause()
            frames += 1
            fin, frame_opcode, length = self._first_two_bytes()
            control = frame_opcode >= CLOSE
            stall = self._stall
            stall.arm()
            try:
                if length == 126:
                    (length,) = _UNPACK_16(self._exactly(2))
                elif length == 127:
                    (length,) = _UNPACK_64(self._exactly(8))
                if not control:
                    opcode = self._data_opcode(opcode, frame_opcode)
                    if size + length > self.limit:
                        raise FrameRefused(MESSAGE_TOO_BIG, self._too_big(size, length))
                mask = self._exactly(4)
                payload = XorMaskerSimple(mask).process(self._exactly(length)) if length else b""
            finally:
                stall.disarm()
            if control:
                if frame_opcode == CLOSE:
                    return None
                if frame_opcode == PING:
                    self.on_ping(payload)
                elif frame_opcode != PONG:
                    raise FrameRefused(PROTOCOL_ERROR, f"a WebSocket frame with opcode {frame_opcode}")
                continue
            # Fragments are joined as they come, into one buffer: a list of 65,536 one-byte
            # fragments would cost some 3 MB where the message itself is 64 KiB.
            if not size:
                message = payload
            else:
                if not isinstance(message, bytearray):
                    message = bytearray(message)
                message += payload
            size += length
            if fin:
                break
        if opcode == BINARY:
            return bytes(message)
        try:
            return message.decode()
        except UnicodeDecodeError:
            raise FrameRefused(INVALID_DATA, "a WebSocket text message that is not UTF-8") from None

    def _first_two_bytes(self):
        """A frame's FIN bit, opcode and 7-bit length, waited for up to `idle_timeout`, checked against RFC 6455."""
        idle = self._idle or self._make_timers()
        idle.arm()
        try:
            first = self._exactly(2)
        finally:
            idle.disarm()
        fin, opcode, length = first[0] & 0x80, first[0] & 0x0F, first[1] & 0x7F
        if first[0] & 0x70:
            raise FrameRefused(PROTOCOL_ERROR, "a WebSocket frame with reserved bits set")
        if not first[1] & 0x80:
            raise FrameRefused(PROTOCOL_ERROR, "an unmasked WebSocket frame from a client")
        if opcode >= CLOSE and (not fin or length > MAX_CONTROL_PAYLOAD):
            raise FrameRefused(PROTOCOL_ERROR, f"a control frame of {length} bytes or fragmented")
        return fin, opcode, length

    def _make_timers(self):
        """The timers that bound the wait for a frame (`IdleTimeout`) and for the rest of it (`FrameStalled`)."""
        self._idle = Deadline(self.idle_timeout, IdleTimeout)
        self._stall = Deadline(self.frame_timeout, FrameStalled)
        return self._idle

    def _exactly(self, count):
        """`count` bytes from the socket, or `EOFError` if it ends first."""
        data = self._read(count)
        if len(data) != count:
            raise EOFError("the WebSocket ended in the middle of a frame")
        return data

    @staticmethod
    def _data_opcode(opcode, frame_opcode):
        """The opcode of the message a data frame belongs to, or `FrameRefused` if it belongs to none."""
        if frame_opcode == CONTINUATION:
            if opcode is None:
                raise FrameRefused(PROTOCOL_ERROR, "a continuation frame that continues nothing")
            return opcode
        if frame_opcode not in (TEXT, BINARY) or opcode is not None:
            raise FrameRefused(PROTOCOL_ERROR, f"a WebSocket frame with opcode {frame_opcode} here")
        return frame_opcode

    def _too_big(self, size, length):
        """What the log says of a frame that takes its message past the limit."""
        if size:
            return f"a fragmented WebSocket message of over {size + length} bytes"
        return f"a WebSocket frame of {length} bytes"
