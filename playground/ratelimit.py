"""Flood control: a token bucket per connection, checked before any handler runs.

Each connection may send `rate` events per second on average and up to
twice that in a burst. Events that fan out to other clients (broadcast,
room events, closing a room) draw on a second, usually smaller, bucket:
one of them costs the server one packet per recipient, an echo only one.
`RATE_LIMIT=0` turns both off (the benchmarks run that way);
`RATE_LIMIT_FANOUT=0` gives fan-out events the same limit as the others.

The check is a dict lookup and a little arithmetic, with no lock: under
gevent nothing can switch greenlets in the middle of it.

That check runs once Flask-SocketIO has decoded the event and started a
task for it, which costs far more than the check itself; a client writing
as fast as it can would still keep the server busy, and gevent's reader of
a socket that always has data never yields. So `Pacer` slows down, below
all that, the reading of a connection that sends more packets than the
limits could ever let through (`PACING_FACTOR` times `RATE_LIMIT`): its
reader sleeps, its TCP window closes, and the flood waits in its own
kernel buffers instead of the server's event loop.
"""

import time

#: The two buckets every connection has: which one an event draws on is the handler's choice.
ECHO, FANOUT = "echo", "fanout"

#: How often a limited connection is told so, at most (seconds).
NOTICE_INTERVAL = 1.0

#: A connection's packets are read at most this many times faster than RATE_LIMIT (burst twice that).
PACING_FACTOR = 5


class RateLimited(Exception):
    """An event dropped by the limiter; `notify` says whether the sender should be told this time."""

    def __init__(self, notify):
        """Remember whether this drop is the one per `NOTICE_INTERVAL` that the sender hears of."""
        super().__init__("rate limited")
        self.notify = notify


class _Allowance:
    """One connection's tokens in each bucket, when they were last refilled, and when it was last told."""

    __slots__ = ("noticed", "stamp", "tokens")

    def __init__(self, capacities, now):
        """Start with full buckets: a new client may burst at once."""
        self.tokens = dict(capacities)
        self.stamp = dict.fromkeys(capacities, now)
        self.noticed = now - NOTICE_INTERVAL


class RateLimiter:
    """Token buckets keyed by Engine.IO connection; `forget` one when it ends (`packets.PacketGuard` does).

    Keyed by the Engine.IO sid, not a namespace's sid: a client that leaves
    `/test` and connects to it again over the same connection gets a new
    namespace sid, and must not get full buckets with it.
    """

    def __init__(self, rate, fanout_rate, clock=time.monotonic):
        """Allow `rate` events/s (and `fanout_rate` fan-out events/s) per connection, bursts of twice that."""
        self.rates = {ECHO: rate, FANOUT: (fanout_rate or rate) if rate else 0}
        self.capacities = {kind: 2 * limit for kind, limit in self.rates.items()}
        #: False when `RATE_LIMIT=0`: every check lets everything through.
        self.enabled = bool(rate)
        self.clock = clock
        self._allowances = {}

    def check(self, sid, kind):
        """Take one token from connection `sid`'s `kind` bucket, or raise `RateLimited` when it is empty."""
        rate = self.rates[kind]
        if not rate:
            return
        now = self.clock()
        allowance = self._allowances.get(sid)
        if allowance is None:
            allowance = self._allowances[sid] = _Allowance(self.capacities, now)
        tokens = min(self.capacities[kind], allowance.tokens[kind] + (now - allowance.stamp[kind]) * rate)
        allowance.stamp[kind] = now
        if tokens >= 1:
            allowance.tokens[kind] = tokens - 1
            return
        allowance.tokens[kind] = tokens
        notify = now - allowance.noticed >= NOTICE_INTERVAL
        if notify:
            allowance.noticed = now
        raise RateLimited(notify)

    def forget(self, sid):
        """Drop an ended connection's buckets, so that churn leaves nothing behind."""
        self._allowances.pop(sid, None)

    def __len__(self):
        """How many connections have buckets right now."""
        return len(self._allowances)


class Pacer:
    """How long one connection's reader should wait before reading on: a token bucket of packets."""

    __slots__ = ("capacity", "clock", "rate", "stamp", "tokens")

    def __init__(self, rate, clock=time.monotonic):
        """Let `rate` packets per second through, bursts of twice that."""
        self.rate = rate
        self.capacity = 2 * rate
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()

    def delay(self, packets=1):
        """Count `packets` packets; return the seconds to wait before the next read (0 within the limit)."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate) - packets
        self.stamp = now
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate
