"""PRESENCE_MAX_CLIENTS: presence is announced to everyone only while few enough clients are connected."""

import pytest

from playground import create_app, socketio
from playground.config import NAMESPACE, from_environment


@pytest.fixture
def small_app():
    """An app that announces presence only up to two clients."""
    return create_app({"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0, "PRESENCE_MAX_CLIENTS": 2})


def presence_of(client):
    """The `presence` payloads `client` received since last asked."""
    return [e["args"][0] for e in client.get_received(NAMESPACE) if e["name"] == "presence"]


def test_presence_stops_past_the_limit_and_resumes_below_it(small_app):
    """The third arrival is not announced; the departure that brings the count back to two is."""
    alice = socketio.test_client(small_app, namespace=NAMESPACE)
    bob = socketio.test_client(small_app, namespace=NAMESPACE)
    assert [(p["event"], p["clients"]) for p in presence_of(alice)] == [("connect", 1), ("connect", 2)]
    assert [p["clients"] for p in presence_of(bob)] == [2]
    carol = socketio.test_client(small_app, namespace=NAMESPACE)
    assert presence_of(alice) == [] and presence_of(bob) == [] and presence_of(carol) == []
    carol.disconnect(namespace=NAMESPACE)
    assert [p["clients"] for p in presence_of(alice)] == [2]
    assert [p["event"] for p in presence_of(bob)] == ["disconnect"]
    for client in (alice, bob):
        client.disconnect(namespace=NAMESPACE)


def test_the_limit_is_read_from_the_environment():
    """PRESENCE_MAX_CLIENTS is an integer setting like the others."""
    assert from_environment({"PRESENCE_MAX_CLIENTS": "500"}) == {"PRESENCE_MAX_CLIENTS": 500}
