"""The WebSocket handshake, checked before gevent-websocket's handler answers it.

gevent-websocket 0.10.1 refuses a bad handshake (no `Sec-WebSocket-Version`,
a version it does not speak, no key, HTTP/1.0) with a body of `str`, which
gevent's server cannot write: a `TypeError` traceback for every such
request. A key that is not base64 raises `binascii.Error` out of it: a
traceback and a 500. `HandshakeHandler`, the request handler of both
launchers (`app.py` passes it to gevent's server, `gunicorn.conf.py` to the
worker), answers those itself, as RFC 6455 section 4.2 asks: `426 Upgrade
Required` naming the version it speaks when there is no version, `400 Bad
Request` otherwise, with one WARNING line each; a handshake for a path
outside Engine.IO's, which gevent-websocket accepted and then closed at
once, gets `404 Not Found`. A good handshake, and every request that is not
one, goes on to gevent-websocket as before.
"""

import binascii
import logging

from geventwebsocket.handler import WebSocketHandler

from .config import SOCKETIO_PATH
from .transport import client_address

log = logging.getLogger(__name__)

#: The WebSocket protocol versions gevent-websocket speaks.
VERSIONS = tuple(WebSocketHandler.SUPPORTED_VERSIONS)

#: How much of a header a log line quotes.
QUOTED = 40


def handshake_problem(environ, http_version):
    """(status, reason) for a WebSocket handshake gevent-websocket would fail on, else None.

    None too for a request that is not a WebSocket handshake at all: those
    are the application's to answer.
    """
    upgrade = environ.get("HTTP_UPGRADE", "").lower() == "websocket"
    if (
        environ.get("REQUEST_METHOD") != "GET"
        or not upgrade
        or "upgrade" not in environ.get("HTTP_CONNECTION", "").lower()
    ):
        return None
    path = environ.get("PATH_INFO", "")
    if not path.startswith(SOCKETIO_PATH):
        # gevent-websocket would switch protocols for any path, then close at once: nothing else speaks it.
        return "404 Not Found", f"a WebSocket handshake for {path[:QUOTED]!r}, outside {SOCKETIO_PATH}"
    if http_version != "HTTP/1.1":
        return "400 Bad Request", f"a WebSocket handshake over {http_version[:QUOTED]}"
    version = environ.get("HTTP_SEC_WEBSOCKET_VERSION")
    if not version:
        return "426 Upgrade Required", "a WebSocket handshake without Sec-WebSocket-Version"
    if version not in VERSIONS:
        return "400 Bad Request", f"a WebSocket handshake of version {version[:QUOTED]!r}"
    key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "").strip()
    try:
        valid = len(binascii.a2b_base64(key, strict_mode=True)) == 16
    except binascii.Error:
        valid = False
    if not valid:
        return "400 Bad Request", f"a Sec-WebSocket-Key that is not 16 bytes in base64: {key[:QUOTED]!r}"
    return None


class HandshakeHandler(WebSocketHandler):
    """gevent-websocket's handler, with bad handshakes answered here instead of by a traceback."""

    def upgrade_websocket(self):
        """Refuse a bad handshake with its status and a one-line reason; hand a good one to gevent-websocket."""
        problem = handshake_problem(self.environ, self.request_version)
        if problem is None:
            return super().upgrade_websocket()
        status, reason = problem
        log.warning("refused WebSocket handshake addr=%s: %s", client_address(self.environ), reason)
        body = f"{reason}\n".encode()
        headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        self.start_response(status, [*headers, ("Sec-WebSocket-Version", ", ".join(VERSIONS))])
        return [body]
