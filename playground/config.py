"""Settings: the defaults, and how each is read from the environment.

Every setting the README documents lives here and nowhere else, so the
README's configuration table and this module can be checked against each
other at a glance.
"""

import os

#: The namespace every playground event lives in, as in the tutorial.
NAMESPACE = "/test"

#: The default namespace, whose handlers are a class (`root_namespace`) beside `/test`'s decorators.
ROOT_NAMESPACE = "/"

#: Every client-to-server event of the contract.
CONTRACT_EVENTS = (
    "my event",
    "my broadcast event",
    "join",
    "leave",
    "close room",
    "my room event",
    "disconnect request",
    "my ping",
    "message",
    "json",
    "call me",
    "my binary event",
)

#: Where Flask-SocketIO serves Engine.IO (its default `path`); the HTTP views live elsewhere.
SOCKETIO_PATH = "/socket.io/"

DEFAULTS = {
    "HOST": "127.0.0.1",
    "PORT": 5000,
    "SECRET_KEY": None,
    # Seconds between two numbers of the feed; 0 turns the feed off.
    "FEED_INTERVAL": 1.0,
    # Longest `data` (in characters) an event may carry.
    "MAX_MESSAGE_LENGTH": 1000,
    # Largest packet the transport accepts (bytes). Anything bigger closes
    # the connection, so MAX_MESSAGE_LENGTH must stay well below it.
    "MAX_HTTP_BUFFER_SIZE": 64 * 1024,
    # Events per second one connection may send (bursts of twice that); 0 turns the limit off.
    "RATE_LIMIT": 20.0,
    # The same for events that fan out to other clients (broadcast, room events, closing a room).
    "RATE_LIMIT_FANOUT": 5.0,
    # Packets the server may hold for one client that does not read them; past that it is disconnected.
    "MAX_QUEUED_PACKETS": 1000,
    # Seconds between Engine.IO's pings. A closed connection's ping task sleeps this out
    # before it lets the connection's memory go, so heavy churn may want it shorter.
    "PING_INTERVAL": 25.0,
    # Seconds a client may stay silent after a ping before it counts as gone. Engine.IO also sweeps
    # closed connections out of its table once per this period, so that is how long their memory stays.
    "PING_TIMEOUT": 20.0,
    # `presence` goes to everyone only while at most this many clients are connected: each one
    # costs a packet per client, so announcing every arrival to 10,000 others is 50 million
    # packets (docs/benchmarks.md). Past the limit the count is still on /healthz.
    "PRESENCE_MAX_CLIENTS": 100,
    # None means same origin only; "*" means any; else a list of origins.
    "CORS_ALLOWED_ORIGINS": None,
    "SOCKETIO_MESSAGE_QUEUE": None,
    "LOG_LEVEL": "INFO",
    # How many proxies (nginx, a PaaS router) stand in front of the app. Their
    # X-Forwarded-For/-Proto/-Host are believed for that many hops; 0 trusts
    # none, so a client cannot fake its address in the logs.
    "PROXY_COUNT": 0,
    # The Socket.IO Admin UI at /admin/ (playground/admin.py): off while there is no password.
    "ADMIN_PASSWORD": None,
    "ADMIN_USERNAME": "admin",
    # "development" streams every event to the UI; "production" only the sockets' counts and stats.
    "ADMIN_MODE": "development",
    # True hides the UI's emit, join, leave and disconnect buttons (and the server refuses those requests).
    "ADMIN_READ_ONLY": False,
    # Seconds the server waits for a client to answer `are you there` (the `call me` event).
    "CALL_TIMEOUT": 5.0,
    # Largest binary payload `my binary event` may carry, in bytes. Over long-polling it travels
    # as base64 (4/3 of its size), which must stay below MAX_HTTP_BUFFER_SIZE.
    "MAX_BINARY_SIZE": 32 * 1024,
}


def _origins(value):
    """Parse CORS_ALLOWED_ORIGINS: empty is same-origin, `*` is any, else a comma list."""
    value = value.strip()
    if not value:
        return None
    if value == "*":
        return "*"
    return [origin.strip() for origin in value.split(",") if origin.strip()]


def _admin_mode(value):
    """Parse ADMIN_MODE: `development` or `production`, as python-socketio's `instrument()` takes them."""
    mode = value.strip().lower()
    if mode not in ("development", "production"):
        raise ValueError("expected development or production")
    return mode


def _flag(value):
    """Parse an on/off setting: 1, true, yes, on or 0, false, no, off."""
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected 1 or 0 (true or false)")


# How to turn each environment variable's text into its setting.
_PARSERS = {
    "HOST": str,
    "PORT": int,
    "SECRET_KEY": str,
    "FEED_INTERVAL": float,
    "MAX_MESSAGE_LENGTH": int,
    "MAX_HTTP_BUFFER_SIZE": int,
    "RATE_LIMIT": float,
    "RATE_LIMIT_FANOUT": float,
    "MAX_QUEUED_PACKETS": int,
    "PING_INTERVAL": float,
    "PING_TIMEOUT": float,
    "PRESENCE_MAX_CLIENTS": int,
    "CORS_ALLOWED_ORIGINS": _origins,
    "SOCKETIO_MESSAGE_QUEUE": str,
    "LOG_LEVEL": str.upper,
    "PROXY_COUNT": int,
    "ADMIN_PASSWORD": str,
    "ADMIN_USERNAME": str,
    "ADMIN_MODE": _admin_mode,
    "ADMIN_READ_ONLY": _flag,
    "CALL_TIMEOUT": float,
    "MAX_BINARY_SIZE": int,
}


def from_environment(environ=None):
    """Return the settings that the environment sets, parsed, leaving out the unset ones.

    `REDIS_URL` is accepted as the conventional spelling of the message
    queue when `SOCKETIO_MESSAGE_QUEUE` itself is not set.
    """
    environ = os.environ if environ is None else environ
    settings = {}
    for name, parse in _PARSERS.items():
        text = environ.get(name, "")
        if text.strip():
            try:
                settings[name] = parse(text)
            except ValueError as exc:
                raise ValueError(f"{name}={text!r} is not valid: {exc}") from None
    if "SOCKETIO_MESSAGE_QUEUE" not in settings and environ.get("REDIS_URL", "").strip():
        settings["SOCKETIO_MESSAGE_QUEUE"] = environ["REDIS_URL"].strip()
    return settings
