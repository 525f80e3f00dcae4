"""The random-number feed: one background task per process pushes `newnumber` to every client."""

import logging
import random
import threading
import time

log = logging.getLogger(__name__)


def random_number():
    """The tutorial's number: a float in [0, 10) rounded to three places."""
    return round(random.random() * 10, 3)


class NumberFeed:
    """Emits `newnumber` to a namespace every `interval` seconds, once started.

    `start_once` may be called by every connecting client, from any number
    of greenlets or threads at once: the lock makes sure exactly one task
    runs (the tutorial's `thread.isAlive()` check could start two).
    """

    def __init__(self, socketio, namespace, interval, next_number=random_number):
        """Prepare the feed; nothing runs until `start_once`. An interval of 0 disables it."""
        self.socketio = socketio
        self.namespace = namespace
        self.interval = interval
        self.next_number = next_number
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

    def _run(self):
        """Tick on a fixed schedule, so the rate does not drift by the time each emit takes."""
        next_tick = time.monotonic() + self.interval
        while not self._stopped:
            self.socketio.sleep(max(0.0, next_tick - time.monotonic()))
            if self._stopped:
                break
            self.tick()
            next_tick += self.interval
            # After a long stall, skip the missed ticks rather than bursting them out.
            next_tick = max(next_tick, time.monotonic())

    def tick(self):
        """Send one number to every client; a failure is logged as one line and the feed goes on."""
        try:
            self.socketio.emit("newnumber", {"number": self.next_number()}, namespace=self.namespace)
            self.ticks += 1
        except Exception as exc:
            log.error("feed tick failed: %s: %s", type(exc).__name__, exc)
