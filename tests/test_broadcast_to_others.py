"""Broadcast to everyone but the sender (`include_self`), and one client reached through its sid's room (unit tests)."""

import pytest

from tests.test_events import call, received, response, sid_of


def test_include_self_false_reaches_everyone_but_the_sender(alice, bob, connect):
    carol = connect()
    received(carol), received(alice), received(bob)
    assert call(alice, "my broadcast event", {"data": "to others", "include_self": False}) == {"ok": True, "count": 1}
    assert received(alice) == []
    assert received(bob) == [response("to others", 1, alice)]
    assert received(carol) == [response("to others", 1, alice)]


def test_include_self_true_is_the_default_broadcast(alice, bob):
    call(alice, "my broadcast event", {"data": "all", "include_self": True})
    assert received(alice) == [response("all", 1, alice)]
    assert received(bob) == [response("all", 1, alice)]


@pytest.mark.parametrize(
    ("value", "kind"), [(0, "a number"), (1, "a number"), ("false", "a string"), (None, "nothing"), ([], "a list")]
)
def test_include_self_must_be_a_boolean(alice, bob, value, kind):
    error = f"'include_self' must be true or false, got {kind}"
    assert call(alice, "my broadcast event", {"data": "x", "include_self": value}) == {"ok": False, "error": error}
    assert received(alice) == [("my error", {"event": "my broadcast event", "error": error})]
    assert received(bob) == []


def test_a_room_event_to_a_sid_reaches_that_client_alone(alice, bob, connect):
    carol = connect()
    received(carol), received(alice), received(bob)
    assert call(alice, "my room event", {"room": sid_of(bob), "data": "psst"})["ok"]
    assert received(bob) == [response("psst", 1, alice)]
    assert received(alice) == [] and received(carol) == []
