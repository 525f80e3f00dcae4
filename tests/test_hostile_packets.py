"""`/test` against packets a polite client never sends: reserved names, sid rooms, namespace re-joins."""

import logging

import pytest

from playground import create_app, socketio
from playground.config import NAMESPACE
from playground.packets import RESERVED_EVENTS
from tests.conftest import end_connection
from tests.test_events import call, received, response, sid_of

PRIVATE = {"ok": False, "error": "rooms named after a client are private"}


@pytest.fixture
def limited_app():
    """An app with the default flood control (20 events/s, bursts of 40) on a stopped clock: no refills."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0, "RATE_LIMIT": 20})
    app.extensions["playground"].limiter.clock = lambda: 0.0
    return app


def drain(client, count=40):
    """Spend `count` tokens of `client`'s echo bucket; return how many events got through."""
    return sum(call(client, "my event", {"data": "x"})["ok"] for _ in range(count))


@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
def test_reserved_names_are_bad_input_that_nobody_else_sees(app, alice, bob, name, caplog):
    """`disconnect` sent as an event: no fake presence, no count drift, only the sender hears of it."""
    clients = len(app.extensions["playground"].clients)
    with caplog.at_level(logging.INFO):
        ack = call(alice, name, {"data": "x"})
    assert ack == {"ok": False, "error": "reserved event name"}
    assert received(alice) == [("my error", {"event": name, "error": "reserved event name"})]
    assert received(bob) == []
    assert len(app.extensions["playground"].clients) == clients
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert alice.is_connected(NAMESPACE) and call(alice, "my event", {"data": "on"})["ok"] is True


@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
def test_reserved_names_do_not_refill_the_bucket(limited_app, name):
    """The old free reset: a `disconnect` event made the server forget the sender's bucket."""
    client = socketio.test_client(limited_app, namespace=NAMESPACE)
    assert drain(client, 39) == 39
    assert call(client, name) == {"ok": False, "error": "reserved event name"}  # the 40th token
    assert drain(client, 10) == 0
    end_connection(client)


def test_leaving_and_rejoining_the_namespace_keeps_the_bucket(limited_app):
    """Buckets belong to the Engine.IO connection: a new namespace session over it starts empty-handed."""
    client = socketio.test_client(limited_app, namespace=NAMESPACE)
    limiter = limited_app.extensions["playground"].limiter
    assert drain(client) == 40
    client.disconnect(namespace=NAMESPACE)
    client.connect(namespace=NAMESPACE)
    assert drain(client, 10) == 0
    assert len(limiter) == 1
    end_connection(client)
    assert len(limiter) == 0


@pytest.mark.parametrize("event", ["join", "leave", "close room"])
def test_a_clients_sid_is_no_room_to_join_leave_or_close(alice, bob, event, caplog):
    """Another client's sid, or one's own: refused before anything is emitted, with one WARNING line."""
    for room in (sid_of(bob), sid_of(alice)):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert call(alice, event, {"room": room}) == PRIVATE
        assert received(alice) == [("my error", {"event": event, "error": PRIVATE["error"]})]
        assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert received(bob) == []
    # Both still get what is addressed to them.
    assert call(alice, "my room event", {"room": sid_of(bob), "data": "psst"})["ok"] is True
    assert received(bob) == [response("psst", 1, alice)]
    assert call(bob, "my room event", {"room": sid_of(alice), "data": "back"})["ok"] is True
    assert received(alice) == [response("back", 1, bob)]


def test_a_room_shaped_like_a_sid_is_private_too(alice):
    """A client on another instance is not known here, so any name with a sid's shape is refused."""
    assert call(alice, "join", {"room": "AAAAAAAAAAAAAAAAAAAA"}) == PRIVATE
    assert call(alice, "join", {"room": "AAAAAAAAAAAAAAAAAAA"})["ok"] is True  # 19 characters: an ordinary room
