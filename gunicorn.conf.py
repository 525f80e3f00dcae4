"""gunicorn settings for production: the Procfile's `web` command loads this file.

One gevent-websocket worker per instance: Socket.IO keeps each client's
state in the process that accepted it, so more processes means more
instances behind a sticky load balancer on a message queue (see deploy/).
"""

import os

worker_class = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
workers = 1
# gevent workers accept at most 1,000 connections by default; one process
# here is meant to hold 10,000 idle websockets (see docs/benchmarks.md).
worker_connections = 20000
bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"

# Clients hold their connections open for ever; without a short grace
# period a deploy or a SIGTERM waits the full default 30 s for them.
graceful_timeout = 3
# gunicorn 27 otherwise opens a control socket under ~/.gunicorn.
control_socket_disable = True

# gunicorn's own messages on stderr. Requests are logged by this worker class's
# handler itself (logger `geventwebsocket.handler`, one line per request with
# the client's address, through the app's logging set-up), so gunicorn's
# accesslog and access_log_format do not apply to it and are left unset. The
# address a proxy forwarded shows in the app's `connect` lines (PROXY_COUNT).
errorlog = "-"


def post_worker_init(worker):
    """Bad WebSocket handshakes refused cleanly; on SIGTERM, stop accepting, say goodbye at once, and end by itself.

    Without the goodbye (`playground.goodbye`), the worker waits for its open
    WebSockets until the master kills it at graceful_timeout, and the other
    instances find out only when the feed lock and the presence count expire
    (see deploy/README.md). It stops accepting first: gunicorn's worker closes
    its listener only at its next tick, up to a second later, and the clients
    told goodbye reconnect within that second, through a sticky balancer to
    this same instance, which then held them until the graceful timeout cut
    them off again.
    """
    import signal

    import gevent

    from playground import goodbye
    from playground.handshake import HandshakeHandler

    # gevent-websocket's handler, with bad handshakes refused without a traceback (see the module).
    worker.wsgi_handler = HandshakeHandler
    stop_accepting = worker.handle_exit
    servers = _tracked_servers(worker)

    def leave():
        """No new connections (they wait in the backlog and go elsewhere once it closes), then the goodbye."""
        for server in servers:
            server.stop_accepting()
        goodbye(worker.wsgi)

    def on_sigterm(sig, frame):
        """gunicorn's own handling, plus the goodbye in a greenlet of its own (it does network I/O)."""
        stop_accepting(sig, frame)
        gevent.spawn(leave)

    signal.signal(signal.SIGTERM, on_sigterm)


def _tracked_servers(worker):
    """The list of the gevent servers `worker` will make: gunicorn keeps them to itself, in its `run`."""
    servers = []
    base = worker.server_class

    class TrackedServer(base):
        """gunicorn's server class, noted in `servers` as it is made."""

        def __init__(self, *args, **kwargs):
            """Make the server as gunicorn asks, and note it."""
            super().__init__(*args, **kwargs)
            servers.append(self)

    worker.server_class = TrackedServer
    return servers
