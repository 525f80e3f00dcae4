"""The Flask-SocketIO playground: the app factory and the one `SocketIO` object.

`socketio` lives at module level so that `events` can register handlers on
it with decorators; `create_app` binds it to each new app with `init_app`.
Nothing here monkey-patches: that is `app.py`'s job, so the tests import
this package unpatched.
"""

import logging
import os
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

from . import admin, config, fastjson, fastpacket
from .clients import Clients
from .directsend import DirectSend
from .feed import NumberFeed
from .flaskapp import NoSessionInterface, PlaygroundFlask
from .origins import origin_policy
from .packets import PacketGuard
from .pings import PingTimers
from .presence import LocalPresence
from .questions import Questions
from .ratelimit import PACING_FACTOR, RateLimiter
from .transport import TransportGuard
from .writer import LazyWriters

socketio = SocketIO()

# Imported after `socketio` exists and before any `init_app`: the decorators in
# `events` register on `socketio.handlers`, which every `init_app` replays.
from . import asking, binary, events, root_namespace, views  # noqa: E402, F401

log = logging.getLogger(__name__)

# templates/ and static/ sit beside app.py, one level above this package.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass
class PlaygroundState:
    """What the handlers share within one app.

    Its clients (of `/test`, of `/`), its feed, its queue's name, the
    presence count, the questions waiting for an answer.
    """

    clients: Clients
    root_clients: Clients
    questions: Questions
    feed: NumberFeed
    message_queue: str
    presence: object  # LocalPresence, or RedisPresence with a message queue
    limiter: RateLimiter


def create_app(test_config=None):
    """Build the app: defaults, then the environment, then `test_config` on top."""
    app = PlaygroundFlask(__name__, root_path=PROJECT_ROOT, static_folder="static", template_folder="templates")
    app.session_interface = NoSessionInterface()
    app.config.from_mapping(config.DEFAULTS)
    app.config.update(config.from_environment())
    if test_config is not None:
        app.config.update(test_config)

    logging.basicConfig(format=LOG_FORMAT)
    logging.getLogger().setLevel(app.config["LOG_LEVEL"])

    if not app.config["SECRET_KEY"]:
        # A random key works for one process; sessions will not survive a restart
        # nor be shared by several processes, hence the warning.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        log.warning("SECRET_KEY is not set; using a random key for this process")

    queue = app.config["SOCKETIO_MESSAGE_QUEUE"]
    queue_name = _redact(queue) if queue else "in-process"
    scale_out = _scale_out(queue, queue_name) if queue else None
    socketio.init_app(
        app,
        async_mode="gevent",
        message_queue=queue,
        # Always passed, None included: `socketio` outlives each app, and an
        # earlier app's queue manager must not leak into an in-process one.
        client_manager=scale_out["manager"] if scale_out else None,
        cors_allowed_origins=origin_policy(app.config["CORS_ALLOWED_ORIGINS"]),
        max_http_buffer_size=app.config["MAX_HTTP_BUFFER_SIZE"],
        ping_interval=app.config["PING_INTERVAL"],
        ping_timeout=app.config["PING_TIMEOUT"],
        # The handlers keep their state in `Clients`, not in the Flask session,
        # so Flask-SocketIO need not copy a session for every connection.
        manage_session=False,
        # Run each event's handler in the greenlet that read it rather than a new
        # greenlet per event: one client's events are handled in order, a flood
        # is slowed by its own socket instead of piling up greenlets, and it is
        # cheaper (docs/benchmarks.md). No handler here waits on its own client.
        async_handlers=False,
        # orjson encodes and decodes every packet (see fastjson), and the packet's
        # check for binary data is a loop rather than a recursion (see fastpacket).
        json=fastjson,
        serializer=fastpacket.Packet,
        logger=False,
        engineio_logger=False,
    )

    app.extensions["playground"] = state = _playground_state(app, queue_name, scale_out)
    # Below every namespace's handlers: reserved event names, binary attachments, buckets per connection.
    PacketGuard(socketio.server, app.config["MAX_HTTP_BUFFER_SIZE"], state.limiter).install()

    # Outermost, in front of Flask-SocketIO's own middleware: it sees every Engine.IO request first.
    app.wsgi_app = guard = TransportGuard(
        app.wsgi_app,
        socketio,
        app.config["MAX_HTTP_BUFFER_SIZE"],
        app.config["MAX_QUEUED_PACKETS"],
        packet_rate=PACING_FACTOR * app.config["RATE_LIMIT"],
    )
    if app.config["PROXY_COUNT"]:
        # Outermost of all, so that every layer and the connect log see the client's own address.
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.register_blueprint(views.bp)
    # After init_app, which builds the server that `instrument()` patches; nothing at all without ADMIN_PASSWORD.
    instrumented = admin.init_app(app, socketio, server_id=scale_out["instance"] if scale_out else None)
    app.extensions["levers"] = _install_levers(guard, admin_on=instrumented is not None)
    log.info(
        "playground ready async_mode=%s message_queue=%s feed_interval=%s",
        socketio.async_mode,
        state.message_queue,
        app.config["FEED_INTERVAL"],
    )
    return app


def _playground_state(app, queue_name, scale_out):
    """What the handlers share: clients, feed, presence and flood control, on Redis when there is a queue."""
    clients = Clients()
    interval = app.config["FEED_INTERVAL"]
    if scale_out:
        from .feed import RedisLeadership
        from .presence import RedisPresence

        redis, link, instance = scale_out["redis"], scale_out["link"], scale_out["instance"]
        leadership = RedisLeadership(redis, link, interval, instance) if interval > 0 else None
        presence = RedisPresence(
            redis,
            link,
            clients,
            socketio=socketio,
            namespace=config.NAMESPACE,
            instance=instance,
            announce_limit=app.config["PRESENCE_MAX_CLIENTS"],
        )
    else:
        leadership, presence = None, LocalPresence(clients)
    return PlaygroundState(
        clients=clients,
        root_clients=Clients(),
        questions=Questions(),
        feed=NumberFeed(socketio, config.NAMESPACE, interval, leadership=leadership),
        message_queue=queue_name,
        presence=presence,
        limiter=RateLimiter(app.config["RATE_LIMIT"], app.config["RATE_LIMIT_FANOUT"]),
    )


def _install_levers(guard, admin_on):
    """The hot path's levers below Engine.IO (docs/benchmarks.md); return them by name.

    A packet for an idle WebSocket client is written by the task that emits
    it (see directsend), unless the Admin UI is on: it counts each packet in
    the client's writer. Each client's pings come from a timer, not from a
    task asleep in between (see pings), and its writer is a task only while
    something is queued for it (see writer).
    """
    eio = socketio.server.eio
    return {
        "direct_send": None if admin_on else DirectSend(eio, guard.find_websocket).install(),
        "pings": PingTimers(eio).install(),
        "writers": LazyWriters(eio).install(),
    }


def goodbye(app):
    """Before this process stops: hand the feed over, close every connection and drop this instance's count.

    The closed clients reconnect at once (through the load balancer, to
    another instance), the feed moves at the next try of another instance
    instead of after its lock's TTL, and the presence count is corrected now
    instead of when this instance's entry expires. Safe to call twice.
    """
    state = app.extensions["playground"]
    state.feed.resign()
    # abort: no CLOSE packet. Every client then sees a lost connection and reconnects; the JS client
    # would also come back after a CLOSE, but python-socketio's client takes a CLOSE as final.
    for connection in list(socketio.server.eio.sockets.values()):
        connection.close(wait=False, abort=True)
    state.presence.leave()


def _scale_out(queue, queue_name):
    """The Redis pieces several instances share; imported only here, so one process never loads redis."""
    from .messagequeue import QueueManager, RedisLink, instance_id, redis_client

    link = RedisLink(queue_name)
    instance = instance_id()
    log.info("scale-out on message queue %s instance=%s", queue_name, instance)
    return {"manager": QueueManager(queue, link), "redis": redis_client(queue), "link": link, "instance": instance}


def _redact(url):
    """Hide the password of a queue URL before it is logged or shown in /healthz."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
