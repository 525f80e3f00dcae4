"""How many clients are connected: to this process alone, or to every instance sharing a message queue.

With several instances, each one writes its own count to Redis with an
expiry that a heartbeat pushes forward, and the total is the sum over the
instances whose expiry has not passed. An instance that dies without a
goodbye stops renewing; at most `TTL` seconds later the next instance that
writes sweeps it away and tells every client the corrected count.

Only connect, disconnect and the heartbeat touch Redis; chat events never do.
"""

import logging
import threading

log = logging.getLogger(__name__)


class LocalPresence:
    """Presence without a message queue: the clients of this process are all the clients."""

    def __init__(self, clients):
        """Count the connections in `clients`."""
        self.clients = clients

    def total(self):
        """How many clients are connected: this process's."""
        return len(self.clients)

    def changed(self):
        """After a connect or disconnect: the new total."""
        return self.total()

    def leave(self):
        """Nothing to tell anyone: this process's clients go with it."""


# One round trip that records this instance's count, sweeps the instances
# whose expiry passed (by Redis's clock, so the instances' clocks need not
# agree) and sums the rest. Atomic, so each dead instance is swept, and the
# correction announced, by exactly one instance.
_SYNC_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local lost = 0
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  lost = lost + tonumber(redis.call('HGET', KEYS[2], dead) or '0')
  redis.call('ZREM', KEYS[1], dead)
  redis.call('HDEL', KEYS[2], dead)
end
local total = 0
for _, n in ipairs(redis.call('HVALS', KEYS[2])) do
  total = total + tonumber(n)
end
return {total, lost}
"""


class RedisPresence:
    """Presence across the instances that share a Redis: each one's count, kept alive by a heartbeat."""

    #: Sorted set: instance -> when its count expires (ms, Redis clock).
    EXPIRY_KEY = "playground:presence:expiry"
    #: Hash: instance -> how many clients it holds.
    COUNTS_KEY = "playground:presence:counts"
    #: Seconds between two heartbeats.
    HEARTBEAT = 1.0
    #: Seconds after its last heartbeat that a silent instance stops counting.
    TTL = 3.0

    def __init__(self, redis_client, link, clients, *, socketio, namespace, instance, announce_limit):
        """Count `clients` under the name `instance`; announce corrections through `socketio` up to `announce_limit`."""
        self.redis = redis_client
        self.announce_limit = announce_limit
        self.link = link
        self.clients = clients
        self.socketio = socketio
        self.namespace = namespace
        self.instance = instance
        self._sync_script = redis_client.register_script(_SYNC_SCRIPT)
        # The other instances' clients at the last sync, used while Redis is unreachable.
        self._others = 0
        self._lock = threading.Lock()
        self._task = None
        self._left = False

    def total(self):
        """Clients across all live instances, as of now (one round trip to Redis)."""
        return self._sync()[0]

    def changed(self):
        """After a connect or disconnect: publish this instance's count and return the new total."""
        if self._left:  # closing down: the goodbye already removed this instance
            return self._others + len(self.clients)
        self._start_heartbeat_once()
        return self.total()

    def leave(self):
        """Say goodbye when this process exits: drop its count at once and tell every client the new total."""
        from redis.exceptions import RedisError

        if self._left:
            return
        self._left = True
        try:
            pipeline = self.redis.pipeline()
            pipeline.zrem(self.EXPIRY_KEY, self.instance).hdel(self.COUNTS_KEY, self.instance)
            pipeline.hvals(self.COUNTS_KEY)
            total = sum(int(count) for count in pipeline.execute()[-1])
        except RedisError as exc:
            log.warning("presence goodbye failed instance=%s (its count expires by itself): %s", self.instance, exc)
            return
        log.info("presence goodbye instance=%s total=%s", self.instance, total)
        self._announce(total)

    def _announce(self, total):
        """Tell every client of every instance the corrected count: clients left with no sid of their own.

        Like every `presence`, only while few enough clients are connected (PRESENCE_MAX_CLIENTS).
        """
        if total <= self.announce_limit:
            payload = {"event": "disconnect", "sid": "", "name": None, "clients": total}
            self.socketio.emit("presence", payload, namespace=self.namespace)

    def _sync(self):
        """Write this instance's count, sweep the dead ones; return (total, clients of swept instances)."""
        from redis.exceptions import RedisError

        local = len(self.clients)
        try:
            total, lost = self._sync_script(
                keys=[self.EXPIRY_KEY, self.COUNTS_KEY], args=[self.instance, local, int(self.TTL * 1000)]
            )
        except RedisError as exc:
            self.link.failed("presence", exc)
            return self._others + local, 0
        self.link.succeeded()
        self._others = total - local
        return total, lost

    def _start_heartbeat_once(self):
        """Start the heartbeat task on the first connect of this process."""
        with self._lock:
            if self._task is not None:
                return
            self._task = self.socketio.start_background_task(self._heartbeat)
        log.info(
            "presence heartbeat started instance=%s every %ss, expiry %ss", self.instance, self.HEARTBEAT, self.TTL
        )

    def _heartbeat(self):
        """Keep this instance's count alive; when it swept a dead instance, tell every client the new total."""
        while not self._left:
            self.socketio.sleep(self.HEARTBEAT)
            if self._left:
                break
            try:
                total, lost = self._sync()
                if lost:
                    log.info("presence swept %s clients of silent instances; total=%s", lost, total)
                    self._announce(total)
            except Exception as exc:
                log.error("presence heartbeat failed: %s: %s", type(exc).__name__, exc)
