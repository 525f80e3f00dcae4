"""The random-number feed: one background task per process pushes `newnumber` to every client.

With a message queue, every instance runs that task but only the holder of
a Redis lock emits (see `RedisLeadership`), so the clients of N instances
get one number per interval, not N.
"""

import enum
import logging
import random
import threading
import time

log = logging.getLogger(__name__)


def random_number():
    """The tutorial's number: a float in [0, 10) rounded to three places."""
    return round(random.random() * 10, 3)


class Role(enum.Enum):
    """What this process's feed does at a tick."""

    #: Emit through the queue (or in-process): every client of every instance gets the number.
    LEAD = "lead"
    #: Another instance leads: emit nothing.
    FOLLOW = "follow"
    #: Redis is unreachable: emit to this instance's own clients only (they hear no one else meanwhile).
    ALONE = "alone"


class SoleProcess:
    """The leadership of a process without a message queue: it always leads."""

    leading = True

    def role(self):
        """Always lead: no other process shares these clients."""
        return Role.LEAD

    def resign(self):
        """Nothing to hand over."""


class RedisLeadership:
    """Which instance feeds: the one holding a Redis lock whose time-to-live is two intervals.

    Why a lock with a TTL (redis-py's `Lock`, i.e. SET NX PX plus a renewal
    that checks the owner's token in a Lua script) rather than an election
    protocol: Redis is already the one thing every instance shares, the
    lock survives any number of instances coming and going, and a dead
    leader needs no goodbye: its lock expires. The leader renews at every
    tick, before it emits, so it emits only while it owns the lock; the TTL
    of two intervals lets one tick be late without losing the lock. The
    others try to take it twice per interval, so a dead leader is replaced
    at most 2.5 intervals after its last number.
    """

    #: The lock's name in Redis, shared by every instance of the deployment.
    KEY = "playground:feed:leader"

    def __init__(self, redis_client, link, interval, instance):
        """Compete for the lock on `redis_client`, reporting outages to `link`."""
        self.lock = redis_client.lock(self.KEY, timeout=2 * interval, thread_local=False)
        self.link = link
        self.instance = instance
        self.leading = False

    def role(self):
        """Renew or try to take the lock, and say what this tick should do."""
        from redis.exceptions import LockError, RedisError

        try:
            if self.leading:
                try:
                    self.lock.reacquire()
                except LockError:
                    # Expired during a stall, or Redis restarted empty: someone else may lead now.
                    self.leading = False
                    log.warning("feed leadership lost instance=%s", self.instance)
            if not self.leading and self.lock.acquire(blocking=False):
                self.leading = True
                log.info("feed leadership taken instance=%s: this instance feeds every client", self.instance)
        except RedisError as exc:
            self.link.failed("feed lock", exc)
            # Without Redis nobody can prove they lead and emits reach local clients only,
            # so each instance feeds its own: every client still gets one number per interval.
            self.leading = False
            return Role.ALONE
        self.link.succeeded()
        return Role.LEAD if self.leading else Role.FOLLOW

    def resign(self):
        """Release the lock, so that another instance takes over at its next try instead of after the TTL."""
        from redis.exceptions import RedisError

        if not self.leading:
            return
        self.leading = False
        try:
            self.lock.release()
            log.info("feed leadership released instance=%s", self.instance)
        except RedisError as exc:
            log.warning("feed leadership not released instance=%s (it expires by itself): %s", self.instance, exc)


class NumberFeed:
    """Emits `newnumber` to a namespace every `interval` seconds, once started.

    `start_once` may be called by every connecting client, from any number
    of greenlets or threads at once: the lock makes sure exactly one task
    runs (the tutorial's `thread.isAlive()` check could start two).
    """

    def __init__(self, socketio, namespace, interval, next_number=random_number, leadership=None):
        """Prepare the feed; nothing runs until `start_once`. An interval of 0 disables it."""
        self.socketio = socketio
        self.namespace = namespace
        self.interval = interval
        self.next_number = next_number
        self.leadership = leadership or SoleProcess()
        self.ticks = 0
        self._lock = threading.Lock()
        self._task = None
        self._stopped = False

    @property
    def enabled(self):
        """Whether this feed is configured to run at all."""
        return self.interval > 0

    @property
    def running(self):
        """Whether the background task has been started and not stopped."""
        return self._task is not None and not self._stopped

    @property
    def leading(self):
        """Whether this process's task is the one that emits (always, without a message queue)."""
        return self.running and self.leadership.leading

    def start_once(self):
        """Start the background task unless it runs already; return True if this call started it."""
        if not self.enabled:
            return False
        with self._lock:
            if self._task is not None:
                return False
            self._task = self.socketio.start_background_task(self._run)
        log.info("feed started interval=%ss", self.interval)
        return True

    def stop(self):
        """Ask the task to end after its current sleep."""
        self._stopped = True

    def resign(self):
        """Stop for good and hand the feed to another instance at once (when this process exits)."""
        self.stop()
        self.leadership.resign()

    def _run(self):
        """Tick on a fixed schedule, so the rate does not drift by the time each emit takes."""
        next_tick = time.monotonic() + self.interval
        while not self._stopped:
            self.socketio.sleep(max(0.0, next_tick - time.monotonic()))
            if self._stopped:
                break
            emitted = self.tick()
            # A follower asks for the lock twice per interval, to take over soon after a leader dies.
            next_tick += self.interval if emitted else self.interval / 2
            # After a long stall, skip the missed ticks rather than bursting them out.
            next_tick = max(next_tick, time.monotonic())

    def tick(self):
        """Send one number if this process leads; return whether it did. A failure is logged and the feed goes on."""
        try:
            role = self.leadership.role()
            # Stopped while asking Redis: the lock may be released already, and another instance leading.
            if role is Role.FOLLOW or self._stopped:
                return False
            options = {"ignore_queue": True} if role is Role.ALONE else {}
            self.socketio.emit("newnumber", {"number": self.next_number()}, namespace=self.namespace, **options)
            self.ticks += 1
        except Exception as exc:
            log.error("feed tick failed: %s: %s", type(exc).__name__, exc)
        return True
