"""Entry point: `python app.py` serves the playground with gevent; gunicorn imports `app` from here.

The monkey-patch comes first, before anything else is imported, so that
sockets, locks and the Redis client all cooperate with gevent.
"""

from gevent import monkey

monkey.patch_all()

import signal  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
from gevent import pywsgi  # noqa: E402

from playground import create_app, goodbye, socketio  # noqa: E402
from playground.handshake import HandshakeHandler  # noqa: E402
from playground.memory import lean_connections  # noqa: E402

# Before the first connection, under gunicorn too (it imports this module): see playground/memory.py.
lean_connections()
app = create_app()

#: How long SIGTERM waits for clients to take their goodbye before the server stops anyway (seconds).
SHUTDOWN_GRACE = 2.0


def shut_down():
    """On SIGTERM: close every connection (clients see a disconnect and reconnect elsewhere), then stop serving.

    The same goodbye as under gunicorn (see gunicorn.conf.py); `socketio.run`
    returns once the server stops, so the process exits 0.
    """
    eio = socketio.server.eio
    app.logger.info("SIGTERM: closing %d connection(s), then stopping", len(eio.sockets))
    # No new connections meanwhile: the clients told goodbye would reconnect to this process.
    socketio.wsgi_server.stop_accepting()
    goodbye(app)
    deadline = time.monotonic() + SHUTDOWN_GRACE
    while eio.sockets and time.monotonic() < deadline:
        gevent.sleep(0.05)
    socketio.stop()


def serve(host, port):
    """Serve like `socketio.run` does under gevent, but with Nagle's algorithm off.

    `socketio.run` leaves Nagle on, so each small frame of the handshake waits
    for the client's delayed ACK: connecting took ~40 ms more than under
    gunicorn, which turns it off (docs/benchmarks.md). Accepted sockets inherit
    TCP_NODELAY from the listening one. The handler is gevent-websocket's, with
    bad handshakes refused without a traceback (playground/handshake.py).
    """
    listener = socket.create_server((host, port), backlog=1024)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # Where `socketio.stop()` (the SIGTERM handler) looks for the server to stop.
    socketio.wsgi_server = pywsgi.WSGIServer(listener, app, handler_class=HandshakeHandler, log=None)
    socketio.wsgi_server.serve_forever()


if __name__ == "__main__":
    host, port = app.config["HOST"], app.config["PORT"]
    # Only here: under gunicorn the worker owns SIGTERM and its graceful_timeout applies.
    gevent.signal_handler(signal.SIGTERM, shut_down)
    app.logger.info("serving on http://%s:%s/", host, port)
    serve(host, port)
