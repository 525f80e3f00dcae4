"""Unit tests of the random-number feed: its rate, its payload, one task per process, and its failures."""

import logging
import sys
import threading

import pytest

from playground import create_app, socketio
from playground.config import NAMESPACE
from playground.feed import NumberFeed


def numbers(client):
    """The `newnumber` payloads `client` has received since the last call."""
    return [p["args"][0]["number"] for p in client.get_received(NAMESPACE) if p["name"] == "newnumber"]


@pytest.fixture
def feed_app():
    """An app whose feed ticks every 50 ms; the feed is stopped afterwards, so it cannot leak into the next test."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0.05})
    yield app
    app.extensions["playground"].feed.stop()
    socketio.sleep(0.06)


def test_feed_starts_with_the_first_client_and_sends_tutorial_numbers(feed_app, connect):
    feed = feed_app.extensions["playground"].feed
    assert not feed.running
    client = connect(feed_app)
    assert feed.running
    socketio.sleep(0.33)
    got = numbers(client)
    assert 4 <= len(got) <= 7, got
    for number in got:
        assert isinstance(number, float) and 0 <= number < 10
        assert round(number, 3) == number


def test_many_clients_share_one_feed(feed_app, connect):
    clients = [connect(feed_app) for _ in range(30)]
    socketio.sleep(0.33)
    feed = feed_app.extensions["playground"].feed
    per_client = [numbers(client) for client in clients]
    assert all(got == per_client[0] for got in per_client), "everyone sees the same numbers"
    assert len(per_client[0]) == feed.ticks <= 7, "one task: one number per interval, not one per client"


def test_concurrent_start_once_starts_exactly_one_task(feed_app):
    feed = NumberFeed(socketio, NAMESPACE, interval=60)
    barrier = threading.Barrier(50)
    results = []

    def start():
        barrier.wait()
        results.append(feed.start_once())

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to expose any race
    try:
        threads = [threading.Thread(target=start) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old_interval)
        feed.stop()
    assert results.count(True) == 1
    assert results.count(False) == 49


def test_a_failing_tick_is_logged_once_and_the_feed_goes_on(feed_app, connect, caplog):
    calls = []

    def flaky_number():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("dice fell off the table")
        return 4.2

    state = feed_app.extensions["playground"]
    state.feed = NumberFeed(socketio, NAMESPACE, interval=0.05, next_number=flaky_number)
    with caplog.at_level(logging.DEBUG, logger="playground.feed"):
        client = connect(feed_app)
        socketio.sleep(0.28)
    got = numbers(client)
    assert len(got) >= 3 and set(got) == {4.2}, "numbers keep coming after the failure"
    failures = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r.getMessage() for r in failures] == ["feed tick failed: RuntimeError: dice fell off the table"]
    assert failures[0].exc_info is None, "one line, no traceback"


def test_feed_interval_zero_turns_the_feed_off(app, connect):
    client = connect()
    socketio.sleep(0.1)
    assert not app.extensions["playground"].feed.running
    assert numbers(client) == []
