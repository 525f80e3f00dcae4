"""Unit tests of the login throttle: the wait each failure in a row earns, per address, within bounds."""

import itertools

import gevent
import gevent.lock
import pytest

from playground.loginthrottle import LoginThrottle


class FakeTime:
    """A clock that only moves when the throttle sleeps (or the test says so)."""

    def __init__(self):
        """Start at 0 with no sleep recorded."""
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        """Record the wait and move the clock by it."""
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time():
    """A fake clock for one test."""
    return FakeTime()


@pytest.fixture
def throttle(fake_time):
    """A throttle with the default waits on the fake clock."""
    return LoginThrottle(sleep=fake_time.sleep, clock=lambda: fake_time.now)


def _fail(throttle, address="10.0.0.1"):
    """One failed attempt from `address`; return its failures in a row."""
    passed, failures = throttle.attempt(address, lambda: False)
    assert not passed
    return failures


def test_the_nth_failure_waits_half_a_second_per_earlier_failure_up_to_five(throttle, fake_time):
    assert [_fail(throttle) for _ in range(13)] == list(range(1, 14))
    assert fake_time.sleeps == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.0, 5.0]


def test_a_success_is_answered_at_once_and_starts_the_count_again(throttle, fake_time):
    _fail(throttle)
    _fail(throttle)
    assert throttle.attempt("10.0.0.1", lambda: True) == (True, 0)
    assert fake_time.sleeps == [0.0, 0.5]
    assert _fail(throttle) == 1
    assert fake_time.sleeps[-1] == 0.0


def test_addresses_count_separately(throttle, fake_time):
    for _ in range(4):
        _fail(throttle, "10.0.0.1")
    assert _fail(throttle, "10.0.0.2") == 1
    assert fake_time.sleeps[-1] == 0.0


def test_a_streak_is_forgotten_after_a_quiet_while(throttle, fake_time):
    for _ in range(4):
        _fail(throttle)
    fake_time.now += throttle.forget_after + 1
    assert _fail(throttle) == 1


def test_the_table_keeps_at_most_max_addresses(fake_time):
    throttle = LoginThrottle(sleep=fake_time.sleep, clock=lambda: fake_time.now, max_addresses=100)
    for n in range(1000):
        _fail(throttle, f"10.0.{n // 256}.{n % 256}")
    assert len(throttle._failures) == 100
    assert throttle._turns == {}


def test_parallel_attempts_from_one_address_are_checked_one_answer_at_a_time():
    """With real gevent sleeps: each check of address A starts only after the previous failure's wait."""
    throttle = LoginThrottle(sleep=gevent.sleep, lock=gevent.lock.Semaphore, step=0.05, ceiling=0.2, max_waiting=4)
    checked = []

    def check():
        checked.append(gevent.get_hub().loop.now())
        return False

    greenlets = [gevent.spawn(throttle.attempt, "10.0.0.1", check) for _ in range(6)]
    other = gevent.spawn(throttle.attempt, "10.0.0.2", lambda: True)
    other.join(0.02)
    assert other.value == (True, 0), "another address is answered while A's attempts wait"
    gevent.joinall(greenlets, timeout=5)
    assert [g.value[0] for g in greenlets] == [False] * 6
    assert len(checked) == 4, "past max_waiting an attempt is refused without a check"
    gaps = [later - earlier for earlier, later in itertools.pairwise(checked)]
    assert all(gap >= wait - 0.005 for gap, wait in zip(gaps, [0.0, 0.05, 0.1], strict=True)), gaps
    assert throttle._turns == {}
