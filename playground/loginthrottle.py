"""Slowing down password guessing: consecutive failed logins per address, and the wait each one earns.

The Nth failed login in a row from one address waits `min(step * (N - 1),
ceiling)` seconds before it is answered (0 s, 0.5 s, 1 s, ... 5 s by
default); a success from the address starts its count again. Attempts from
one address are checked one at a time, so opening many connections at once
does not buy more guesses: each waits for the one before it to be answered.
Nothing is shared between addresses, so one guesser never delays anyone
else's login, and the waits are `sleep`s that yield to every other client.

The memory it keeps is bounded: at most `max_addresses` counts (the oldest
forgotten first), each forgotten `forget_after` seconds after its last
failure, and at most `max_waiting` attempts per address waiting their turn;
past that an attempt waits the ceiling and is refused without being checked.
"""

import threading
import time
from collections import OrderedDict


class LoginThrottle:
    """Per-address streaks of failed logins; `attempt` runs one check with the wait its streak has earned."""

    def __init__(
        self,
        sleep,
        lock=threading.Lock,
        clock=time.monotonic,
        step=0.5,
        ceiling=5.0,
        max_addresses=10_000,
        forget_after=900.0,
        max_waiting=8,
    ):
        """`sleep` must yield to other clients (the server's); `lock` makes one lock per address in flight."""
        self._sleep = sleep
        self._make_lock = lock
        self._clock = clock
        self.step = step
        self.ceiling = ceiling
        self.max_addresses = max_addresses
        self.forget_after = forget_after
        self.max_waiting = max_waiting
        self._failures = OrderedDict()  # address -> (failures in a row, monotonic time of the last one)
        self._turns = {}  # address -> [its lock, how many attempts hold it or wait for it]

    def wait_for(self, failures):
        """Seconds the failure that follows `failures` failures in a row waits before its answer."""
        return min(self.step * failures, self.ceiling)

    def failures(self, address):
        """Failed logins in a row from `address` that are still remembered."""
        entry = self._failures.get(address)
        if entry is None:
            return 0
        if self._clock() - entry[1] > self.forget_after:
            del self._failures[address]
            return 0
        return entry[0]

    def attempt(self, address, check):
        """Run `check()` for a login from `address`; return (whether it passed, this address's failures in a row).

        A failure is answered only after its wait, and the next attempt
        from the same address is checked only after that answer.
        """
        turn = self._turns.setdefault(address, [self._make_lock(), 0])
        if turn[1] >= self.max_waiting:
            # Too many attempts already queued from here: do not check this one at all.
            failures = self._record_failure(address)
            self._sleep(self.ceiling)
            return False, failures
        turn[1] += 1
        try:
            with turn[0]:
                return self._checked(address, check)
        finally:
            turn[1] -= 1
            if turn[1] == 0:
                del self._turns[address]

    def _checked(self, address, check):
        """Check one attempt (this address's turn is held); wait before answering a failure."""
        if check():
            self._failures.pop(address, None)
            return True, 0
        wait = self.wait_for(self.failures(address))
        failures = self._record_failure(address)
        self._sleep(wait)
        return False, failures

    def _record_failure(self, address):
        """Count one more failure from `address`, forgetting the oldest address past the bound."""
        failures = self.failures(address) + 1
        self._failures.pop(address, None)
        self._failures[address] = (failures, self._clock())
        while len(self._failures) > self.max_addresses:
            self._failures.popitem(last=False)
        return failures
