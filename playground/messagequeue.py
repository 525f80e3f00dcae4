"""The Redis message queue that several instances share, and how this process reports a Redis outage.

Only imported when SOCKETIO_MESSAGE_QUEUE (or REDIS_URL) is set, so a single
process never loads redis nor tries to reach it.

Flask-SocketIO's own `RedisManager` already carries every emit to every
instance. This module adds what running it in production needs:

- one ERROR line when Redis stops answering and one WARNING line when it is
  back, instead of the library's two lines per emitted packet;
- re-subscription at most one second after Redis returns (the library backs
  off up to 60 s, during which the instance hears nothing from the others);
- connect timeouts, so an unreachable Redis host costs an emit one second,
  not the operating system's two minutes;
- the redis-py client the feed's lock and the presence count use.
"""

import logging
import os
import socket
import time
import uuid

import redis
import socketio
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

#: The pub/sub channel: Flask-SocketIO's default, so that any Flask-SocketIO
#: process pointed at the same Redis (e.g. `announce`) reaches these clients.
CHANNEL = "flask-socketio"

#: Seconds to wait for a TCP connection to Redis before calling it down.
CONNECT_TIMEOUT = 1.0

#: Seconds to wait for a command's answer (not used for the blocking subscription).
COMMAND_TIMEOUT = 2.0

#: Seconds between two attempts to subscribe again while Redis is down.
RESUBSCRIBE_DELAY = 0.5

# Short timeouts, and no redis-py retries with back-off: our own code tries
# again at the next packet, tick or heartbeat, and extra retries would only
# multiply the time an emit blocks while Redis is unreachable.
_CONNECTION_OPTIONS = {"socket_connect_timeout": CONNECT_TIMEOUT, "socket_keepalive": True}


def instance_id():
    """A name for this process that is unique across machines and restarts, and readable in logs."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class RedisLink:
    """Whether Redis answers, as this process sees it: one log line when it stops, one when it is back.

    The queue manager, the feed's lock and the presence count all report
    here, so an outage is logged once whichever of them notices it first.
    """

    def __init__(self, url):
        """Start by assuming Redis answers; `url` is only used in log lines, so pass it redacted."""
        self.url = url
        self.down_since = None

    @property
    def up(self):
        """Whether the last call to Redis succeeded."""
        return self.down_since is None

    def failed(self, what, exc):
        """Record that a call for `what` failed; log it if this starts an outage."""
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.error(
                "message queue %s unreachable (%s: %s: %s); until it is back, emits reach this instance's clients only",
                self.url,
                what,
                type(exc).__name__,
                exc,
            )

    def succeeded(self):
        """Record that a call succeeded; log the end of an outage if there was one."""
        if self.down_since is not None:
            log.warning("message queue %s reachable again after %.1fs", self.url, time.monotonic() - self.down_since)
            self.down_since = None


def redis_client(url):
    """A redis-py client for commands (the feed's lock, the presence count) with short timeouts."""
    # One immediate retry on a new connection: after Redis restarts, a pooled connection fails once.
    return redis.Redis.from_url(url, socket_timeout=COMMAND_TIMEOUT, retry=Retry(NoBackoff(), 1), **_CONNECTION_OPTIONS)


class QueueManager(socketio.RedisManager):
    """Flask-SocketIO's Redis client manager, with outages logged once and a quick re-subscription.

    Overrides two private methods of python-socketio's `RedisManager`
    (pinned in requirements.txt); each keeps the original's protocol and
    changes only the retrying and the logging.
    """

    def __init__(self, url, link, write_only=False):
        """Manage the queue at `url`; report failures and recoveries to `link`."""
        super().__init__(
            url,
            channel=CHANNEL,
            write_only=write_only,
            redis_options={**_CONNECTION_OPTIONS, "retry": Retry(NoBackoff(), 0)},
        )
        self.link = link
        #: How many processes subscribed to the channel got the last published packet.
        self.last_receivers = None

    def _publish(self, data):
        """Publish one packet; try a fresh connection once, then give up silently (the outage is logged once)."""
        for _attempt in range(2):
            try:
                if not self.connected:
                    self._redis_connect()
                self.last_receivers = self.redis.publish(self.channel, self.json.dumps(data))
            except Exception as exc:  # whatever breaks, the emit must not raise into a handler
                self.connected = False
                error = exc
            else:
                self.link.succeeded()
                return self.last_receivers
        self.last_receivers = None
        self.link.failed("publish", error)
        return None

    def _redis_listen_with_retries(self):
        """Yield every message of the channel, subscribing again every half second while Redis is down."""
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                    self.link.succeeded()
                yield from self.pubsub.listen()
            except Exception as exc:  # a dropped connection surfaces as several redis and socket errors
                self.link.failed("subscribe", exc)
                subscribed = False
                time.sleep(RESUBSCRIBE_DELAY)
