"""Guards at the transport level, below the event handlers: foreign origins, oversized packets, slow readers.

Engine.IO enforces the first two on its own but says nothing useful when it
does (a refused origin is logged once per process, an oversized packet not
at all), gevent-websocket checks a message's size only once it has read it
all, and Engine.IO queues packets for a client that stops reading without
any bound. Each guard here adds one clear log line per client, and the
last one a cap:

- Foreign origins are refused by `origins.OriginCheck`, with a line per
  refused handshake.
- `TransportGuard` is WSGI middleware in front of Engine.IO. A WebSocket's
  messages are read by `frames.FrameReader` within `MAX_HTTP_BUFFER_SIZE`
  (refused from the header, close code 1009) and Engine.IO's ping timeout
  (a frame that stalls ends the connection), with the event loop let in
  between messages and a flood's reading paced (see `ratelimit.Pacer`). A
  polling POST is read, refused (413, 411, 408, 400) or paced the same
  way by `polling.PollingGuard` before Engine.IO sees it. Text messages that
  are no Engine.IO packet a client sends are refused (`enginepackets`). It
  also runs the `OutboxMonitor`.
- `outbox.OutboxMonitor` disconnects a client that stopped reading, so
  that what the server queues for one client stays bounded.
"""

import contextlib
import json
import logging
import socket
import struct
import time
from urllib.parse import parse_qs

import gevent
from geventwebsocket.exceptions import WebSocketError

from . import enginepackets
from .coalescing import CoalescingWriter
from .config import SOCKETIO_PATH
from .frames import MESSAGE_TOO_BIG, PROTOCOL_ERROR, FrameReader, FrameRefused, FrameStalled
from .outbox import OutboxMonitor
from .polling import PollingGuard
from .ratelimit import Pacer
from .turns import let_the_loop_run

log = logging.getLogger(__name__)

#: Seconds a WebSocket's reader may go on reading messages before it lets the event loop run.
READ_SLICE = 0.001

#: Where `TransportGuard` keeps the WebSocket of a request in its WSGI environ.
WEBSOCKET_KEY = "playground.websocket"

#: Where a WebSocket that opened its Engine.IO session itself notes the session's id (no query names it).
SESSION_KEY = "playground.eio_sid"


def client_address(environ):
    """`address:port` of the client of a WSGI request, for log lines."""
    return f"{environ.get('REMOTE_ADDR', '?')}:{environ.get('REMOTE_PORT', '?')}"


def _query_sid(environ):
    """The Engine.IO session id a request names, or None for a handshake."""
    return parse_qs(environ.get("QUERY_STRING", "")).get("sid", [None])[0]


def _log_closing(environ, why):
    """The one line that says why a connection is being closed below Engine.IO: a packet over the limit, say."""
    eio_sid = _query_sid(environ) or environ.get(SESSION_KEY)
    log.warning("closing connection addr=%s eio_sid=%s: %s", client_address(environ), eio_sid, why)


class _WatchedWebSocket:
    """A gevent-websocket connection read by a bounded `FrameReader`, paced, and able to be cut off.

    Engine.IO reads every message through `receive`. Here that is
    `frames.FrameReader` rather than gevent-websocket's own reader, so a
    frame over the limit is refused (close code 1009, one log line) from its
    header, and a frame that stalls halfway ends the connection. Before each
    frame, the reader lets the event loop run if it has been reading for
    `READ_SLICE` without it (gevent's reader of a socket that always has
    data never would), and sleeps longer when the client floods (`pacer`).
    It sends through a `CoalescingWriter`, so that
    a burst of packets leaves in two writes rather than one per packet.
    Every other attribute is the real WebSocket's.
    """

    def __init__(self, websocket, environ, limit, pacer, sleep, frame_timeout=None, idle_timeout=None):
        """Wrap `websocket`, the one gevent-websocket put in `environ`; `pacer` may be None (no pacing).

        `frame_timeout` bounds the time from a frame's header to its last
        byte, `idle_timeout` the wait for a frame to start (None: for ever).
        """
        self._websocket = websocket
        self._environ = environ
        self._limit = limit
        self._pacer = pacer
        self._sleep = sleep
        self._reader = FrameReader(
            websocket.raw_read, limit, frame_timeout, self._pong, self._pause, idle_timeout=idle_timeout
        )
        # The loop's iteration count at the last frame, and when this reader's slice of reading
        # without the loop going round began.
        self._loop = gevent.get_hub().loop
        self._iteration, self._slice_start = None, 0.0
        self.writer = CoalescingWriter(websocket)
        self.send = self.writer.send if _query_sid(environ) else self._send_open_packet

    def __getattr__(self, name):
        """Everything but `send`, `receive`, `close` and `abort` is the real WebSocket's."""
        return getattr(self._websocket, name)

    def _send_open_packet(self, message):
        """Send Engine.IO's first packet here, its open packet, noting the session id it names for the log."""
        self.send = self.writer.send
        if isinstance(message, str) and message.startswith("0{"):
            with contextlib.suppress(ValueError, AttributeError):
                self._environ[SESSION_KEY] = json.loads(message[1:]).get("sid")
        return self.writer.send(message)

    def close(self, *args, **kwargs):
        """Send what is still pending, then the close frame."""
        self.writer.flush()
        return self._websocket.close(*args, **kwargs)

    def receive(self):
        """The next message, or None once the connection is over (refused, stalled, closed or gone)."""
        self._pause()
        if self._websocket.closed:
            return None
        try:
            message = self._reader.read_message()
            if type(message) is str and message[:1] != "4":  # anything but a message packet: look closer
                problem = enginepackets.problem(message, websocket=True)
                if problem:
                    raise FrameRefused(PROTOCOL_ERROR, problem)
            return message
        except FrameRefused as refused:
            if refused.code == MESSAGE_TOO_BIG:
                _log_closing(self._environ, f"{refused.reason} exceeds MAX_HTTP_BUFFER_SIZE={self._limit}")
            else:
                _log_closing(self._environ, f"{refused.reason} (close code {refused.code})")
            self._close_quietly(refused.code)
        except FrameStalled:
            _log_closing(self._environ, f"a WebSocket frame did not arrive within {self._reader.frame_timeout:g}s")
            self.abort()
        except (OSError, EOFError):
            # Gone, reset, or silent past the idle timeout (by then Engine.IO's ping timeout has
            # said goodbye): nothing left to tell the client. Returning None ends the connection.
            pass
        return None

    def _pause(self):
        """Before a frame: wait out a flood's pace, and let the event loop run after a slice of reading."""
        delay = self._pacer.delay() if self._pacer is not None else 0
        if delay:
            # Read no further for now: the flood backs up in the client's own socket.
            self._sleep(delay)
            return
        iteration = self._loop.iteration
        if iteration != self._iteration:
            # The loop has gone round since the last frame (this reader waited for data, say):
            # everyone else has had a turn, and this reader's slice starts afresh.
            self._iteration, self._slice_start = iteration, time.perf_counter()
        elif time.perf_counter() - self._slice_start >= READ_SLICE:
            # Reading a socket that always has data never waits, so it never lets the event
            # loop run: after a slice of reading, everyone else has a turn.
            let_the_loop_run()

    def _pong(self, payload):
        """Answer a ping, as gevent-websocket does: straight to the socket."""
        self._websocket.send_frame(payload, self._websocket.OPCODE_PONG)

    def _close_quietly(self, code):
        """Send what is pending and a close frame with `code`, unless the socket is already gone.

        gevent-websocket's own `close(code)` leaves the code out of the frame.
        """
        with contextlib.suppress(OSError, WebSocketError):
            self.writer.flush()
            self._websocket.send_frame(struct.pack("!H", code), self._websocket.OPCODE_CLOSE)
        self._websocket.closed = True

    def abort(self):
        """Shut the TCP connection down, which wakes the reader and a writer stuck on a full socket buffer."""
        handler = self._websocket.handler
        if handler is not None and handler.socket is not None:
            # Already shut means nothing is left to wake.
            with contextlib.suppress(OSError):
                handler.socket.shutdown(socket.SHUT_RDWR)


class TransportGuard:
    """WSGI middleware in front of Engine.IO: bounds WebSocket frames and polling bodies, runs the monitor."""

    def __init__(self, wsgi_app, socketio, max_size, max_queued, packet_rate, path=SOCKETIO_PATH):
        """Guard the requests under `path`; the rest go straight to `wsgi_app`. A `packet_rate` of 0 paces nothing."""
        self.wsgi_app = wsgi_app
        self.socketio = socketio
        self.max_size = max_size
        self.packet_rate = packet_rate
        self.path = path
        self.monitor = OutboxMonitor(socketio, max_queued, self.find_websocket)
        self._monitor_task = None
        # WebSockets that upgraded a polling session, by sid; the others are in their own environ.
        self._upgrades = {}
        self.polling = PollingGuard(wsgi_app, socketio, max_size, packet_rate, _log_closing)

    def __call__(self, environ, start_response):
        """Look at one request on its way to Engine.IO."""
        if not environ.get("PATH_INFO", "").startswith(self.path):
            return self.wsgi_app(environ, start_response)
        if self._monitor_task is None:
            # Started by the first real connection, so that test clients and imports start nothing.
            self._monitor_task = self.socketio.start_background_task(self.monitor.run)
        if environ.get("REQUEST_METHOD") == "POST":
            # A polling POST: bounded, paced, or refused before Engine.IO reads it.
            return self.polling.handle(environ, start_response, _query_sid(environ))
        websocket = environ.get("wsgi.websocket")
        if websocket is None:
            return self.wsgi_app(environ, start_response)
        eio = self.socketio.server.eio
        pacer = Pacer(self.packet_rate) if self.packet_rate else None
        watched = environ["wsgi.websocket"] = environ[WEBSOCKET_KEY] = _WatchedWebSocket(
            websocket,
            environ,
            self.max_size,
            pacer,
            self.socketio.sleep,
            # A frame under way must be complete within the ping timeout; between frames the
            # client may stay silent as long as Engine.IO waits for a pong, and no longer.
            frame_timeout=eio.ping_timeout,
            idle_timeout=eio.ping_interval + eio.ping_timeout,
        )
        sid = _query_sid(environ)
        if sid is not None:
            self._upgrades[sid] = watched
        try:
            # A WebSocket request lasts as long as the connection: this returns when it ends.
            return self.wsgi_app(environ, start_response)
        finally:
            if sid is not None:
                self._upgrades.pop(sid, None)

    def find_websocket(self, sid):
        """The WebSocket carrying Engine.IO session `sid`, or None if it is on polling."""
        if sid in self._upgrades:
            return self._upgrades[sid]
        # A client that opened with WebSocket did its handshake on it: Socket.IO kept that environ.
        environ = self.socketio.server.environ.get(sid) or {}
        return environ.get(WEBSOCKET_KEY)
