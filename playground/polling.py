"""Long-polling request bodies: read within bounds before Engine.IO sees them, and paced like a WebSocket.

Engine.IO reads a polling POST's body itself, `CONTENT_LENGTH` bytes with
no deadline. Over `max_http_buffer_size` it raises, then disconnects the
session waiting for its queue to drain, which never happens while the
client waits for this very answer: the request hangs, and its greenlet
with it. A body without a Content-Length (chunked) it does not read at
all, and answers 200. `read_body` answers first:

- a `Content-Length` over the limit: `BodyRefused` 413 at once, the body
  left unread;
- a chunked body: read up to the limit, and 413 as soon as it passes it;
- neither a length nor chunks: 411 Length Required;
- a body that takes longer than `timeout` to arrive: 408;
- a body that is not UTF-8, or holds an Engine.IO packet no client sends
  (`enginepackets`): 400, where Engine.IO logged a traceback or hung.

Otherwise the whole body is read and handed on in memory: Engine.IO then
reads it from there. `PollingGuard` is the WSGI step that does all this for
`transport.TransportGuard`, and paces each session: a client that posts
more packets than `ratelimit.Pacer` lets through waits before they are
handled, as a WebSocket client's reader does.

Engine.IO decodes at most `ENGINEIO_MAX_PACKETS` (16) packets from one
body; past that it logs a traceback, answers 200 and drops every packet of
the body. Clients do send more: the JavaScript client and python-socketio's
each put every packet waiting to be sent into one POST, so 17 events
emitted at once over polling were all lost. The packets are bounded by the
body's size already, so the guard hands a longer body on in groups of 16,
in order, and lets the event loop run between groups: the handlers run in
the request's greenlet (`async_handlers=False`), and a 64 KiB body of tiny
packets would otherwise hold the loop for thousands of them.
"""

import io
from urllib.parse import parse_qs

import gevent
from engineio.payload import Payload

from .enginepackets import SEPARATOR, payload_problem
from .ratelimit import Pacer
from .turns import let_the_loop_run

#: Engine.IO v4 separates the packets of one polling payload with this byte.
RECORD_SEPARATOR = SEPARATOR.encode()

#: The most packets Engine.IO decodes from one polling body (it drops the whole body past this).
ENGINEIO_MAX_PACKETS = Payload.max_decode_packets

#: The body of a refusal; the status line says the rest.
_REFUSAL_BODY = b"refused\n"


class BodyRefused(Exception):
    """A polling body that will not be handed on: answer `status`; `reason` is for the log."""

    def __init__(self, status, reason):
        """Keep the HTTP status line and the reason to log."""
        super().__init__(reason)
        self.status = status
        self.reason = reason


#: The answer to a POST for a session that has ended: what Engine.IO answers a GET for it.
_ENDED = BodyRefused("400 Bad Request", "the session has ended")


def read_body(environ, limit, timeout):
    """Read the request's body within `limit` bytes and `timeout` seconds; put it back in `environ` in memory.

    Returns the body; raises `BodyRefused` (and then the body is left
    unread: see `refuse`).
    """
    length = environ.get("CONTENT_LENGTH", "").strip()
    stream = environ["wsgi.input"]
    if length:
        if not length.isdigit():
            raise BodyRefused("400 Bad Request", f"a polling request with Content-Length {length[:20]!r}")
        if int(length) > limit:
            raise BodyRefused("413 Payload Too Large", f"a polling request of {int(length)} bytes")
        wanted = int(length)
    elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        wanted = limit + 1  # one byte more than allowed is enough to know
    else:
        raise BodyRefused("411 Length Required", "a polling request without Content-Length")
    # Raised by the timer itself, so that no other timeout is taken for this one.
    stalled = BodyRefused("408 Request Timeout", f"a polling request body not sent within {timeout:g}s")
    with gevent.Timeout(timeout, stalled):
        body = _read_up_to(stream, wanted)
    if len(body) > limit:
        raise BodyRefused("413 Payload Too Large", f"a chunked polling request of over {limit} bytes")
    if length and len(body) != wanted:
        raise BodyRefused("400 Bad Request", "a polling request shorter than its Content-Length")
    _put_body(environ, body)
    return body


def _put_body(environ, body):
    """Make `body` the body `environ`'s application reads."""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def _read_up_to(stream, wanted):
    """Up to `wanted` bytes of `stream`, fewer only if it ends first."""
    chunks, size = [], 0
    while size < wanted:
        chunk = stream.read(min(wanted - size, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def engine_payload(body):
    """`body` as the payload Engine.IO decodes (JSONP's `d=` form unwrapped), checked packet by packet.

    Raises `BodyRefused` 400 for a body that is not UTF-8 or holds a packet
    no client sends (see `enginepackets`), which Engine.IO would answer with
    a traceback, or a POST that hangs.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyRefused("400 Bad Request", "a polling body that is not UTF-8") from None
    if text.startswith("d="):
        text = parse_qs(text).get("d", [""])[0]
        body = text.encode()
    problem = payload_problem(text)
    if problem:
        raise BodyRefused("400 Bad Request", problem)
    return body


def count_packets(body):
    """How many Engine.IO packets one polling payload carries."""
    return body.count(RECORD_SEPARATOR) + 1 if body else 0


def split_payload(body, most=ENGINEIO_MAX_PACKETS):
    """A polling payload as payloads of at most `most` packets each, in order."""
    packets = body.split(RECORD_SEPARATOR)
    return [RECORD_SEPARATOR.join(packets[start : start + most]) for start in range(0, len(packets), most)]


def refuse(environ, start_response, refused):
    """Answer `refused` and close the connection, without reading (or letting the server read) the rest.

    gevent's WSGI server reads and discards whatever a request's body still
    holds before it answers the next request on the connection, as long as
    it takes: a 100 MB body would be read after all, and a body that never
    comes would hold the connection's greenlet for ever. The connection is
    closed instead (`Connection: close`), so there is nothing to discard.
    """
    stream = environ.get("wsgi.input")
    if hasattr(stream, "chunked_input") and hasattr(stream, "position"):
        # gevent's `Input`: nothing left for its discard to read.
        stream.chunked_input = False
        stream.content_length = stream.position
    start_response(
        refused.status,
        [("Content-Type", "text/plain"), ("Content-Length", str(len(_REFUSAL_BODY))), ("Connection", "close")],
    )
    return [_REFUSAL_BODY]


class PollingGuard:
    """The polling POSTs on their way to Engine.IO: bodies read within bounds, refusals answered, sessions paced."""

    def __init__(self, wsgi_app, socketio, max_size, packet_rate, log_closing):
        """Pass on to `wsgi_app`, for Flask-SocketIO's `socketio`; `log_closing(environ, why)` writes the log line."""
        self.wsgi_app = wsgi_app
        self.socketio = socketio
        self.max_size = max_size
        self.packet_rate = packet_rate
        self.log_closing = log_closing
        # The pace of each polling session's POSTs, by sid.
        self._pacers = {}

    def handle(self, environ, start_response, sid):
        """Read the body (or refuse it and close session `sid`), then let Engine.IO handle it at the session's pace."""
        eio = self.socketio.server.eio
        if self._ended(sid):
            return refuse(environ, start_response, _ENDED)
        try:
            body = read_body(environ, self.max_size, eio.ping_timeout)
            payload = engine_payload(body)
        except BodyRefused as refused:
            why = refused.reason
            if refused.status.startswith("413"):
                why += f" exceeds MAX_HTTP_BUFFER_SIZE={self.max_size}"
            self.log_closing(environ, f"{why}: {refused.status}")
            session = eio.sockets.get(sid)
            if session is not None:
                # What Engine.IO meant to do, without its wait for the queue to drain: the CLOSE
                # packet goes to the client's pending GET, if it has one.
                session.close(wait=False, abort=False, reason=eio.reason.SERVER_DISCONNECT)
            return refuse(environ, start_response, refused)
        # More than Engine.IO decodes at once: all but the last group are handed on here.
        *leading, last = split_payload(payload) if count_packets(payload) > ENGINEIO_MAX_PACKETS else [payload]
        for group in leading:
            if self._wait_turn(sid, group):
                return refuse(environ, start_response, _ENDED)
            status, headers, answer = self._hand_on(environ, group)
            if not status.startswith("200"):
                start_response(status, headers)
                return [answer]
            let_the_loop_run()
        if self._wait_turn(sid, last):
            return refuse(environ, start_response, _ENDED)
        if last is not body:
            _put_body(environ, last)  # a group of a longer body, or unwrapped from JSONP's form
        return self.wsgi_app(environ, start_response)

    def _ended(self, sid):
        """Whether Engine.IO still holds session `sid` but it has ended (it would answer a POST with a 500)."""
        session = self.socketio.server.eio.sockets.get(sid)
        return session is not None and session.closed

    def _wait_turn(self, sid, body):
        """Wait out session `sid`'s pace for the packets of `body`; return whether the session has ended by then.

        A close packet in an earlier group ends it, and so may anything while
        this request waited.
        """
        if self.packet_rate and sid is not None:
            delay = self._pacer(sid).delay(count_packets(body))
            if delay:
                # This request waits, and so does the client's next POST: the flood stays at its end.
                gevent.sleep(delay)
        return self._ended(sid)

    def _hand_on(self, environ, body):
        """Let Engine.IO handle `body` as a POST of its own, like `environ`'s; return its status, headers and body."""
        answer = []
        group_environ = dict(environ)
        _put_body(group_environ, body)
        chunks = self.wsgi_app(group_environ, lambda status, headers, exc_info=None: answer.extend((status, headers)))
        return answer[0], answer[1], b"".join(chunks)

    def _pacer(self, sid):
        """The `Pacer` of session `sid`; those of sessions Engine.IO no longer holds are dropped now and then."""
        pacer = self._pacers.get(sid)
        if pacer is None:
            sessions = self.socketio.server.eio.sockets
            if len(self._pacers) >= 2 * len(sessions) + 16:
                self._pacers = {known: pace for known, pace in self._pacers.items() if known in sessions}
            pacer = self._pacers[sid] = Pacer(self.packet_rate)
        return pacer
