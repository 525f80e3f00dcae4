"""Entry point: `python app.py` serves the playground with gevent; gunicorn imports `app` from here.

The monkey-patch comes first, before anything else is imported, so that
sockets, locks and the Redis client all cooperate with gevent.
"""

from gevent import monkey

monkey.patch_all()

import socket  # noqa: E402

from gevent import pywsgi  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

from playground import create_app, socketio  # noqa: E402

app = create_app()


def serve(host, port):
    """Serve like `socketio.run` does under gevent, but with Nagle's algorithm off.

    `socketio.run` leaves Nagle on, so each small frame of the handshake waits
    for the client's delayed ACK: connecting took ~40 ms more than under
    gunicorn, which turns it off (docs/benchmarks.md). Accepted sockets inherit
    TCP_NODELAY from the listening one.
    """
    listener = socket.create_server((host, port), backlog=1024)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # Where `socketio.stop()` (the SIGTERM handler) looks for the server to stop.
    socketio.wsgi_server = pywsgi.WSGIServer(listener, app, handler_class=WebSocketHandler, log=None)
    socketio.wsgi_server.serve_forever()


if __name__ == "__main__":
    host, port = app.config["HOST"], app.config["PORT"]
    app.logger.info("serving on http://%s:%s/", host, port)
    serve(host, port)
