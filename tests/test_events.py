"""Unit tests of the `/test` contract with Flask-SocketIO's test client: who receives what, in what order."""

import logging

import pytest

from playground import socketio
from playground.config import NAMESPACE


def received(client):
    """What `client` has received since the last call, as (event, payload) pairs in order."""
    pairs = []
    for packet in client.get_received(NAMESPACE):
        args = packet["args"]
        # The test client hands `message`/`json` payloads over bare, other events as a list.
        if packet["name"] not in ("message", "json"):
            args = args[0] if args else None
        pairs.append((packet["name"], args))
    return pairs


def call(client, event, *args):
    """Emit `event` asking for an ack, and return the ack."""
    return client.emit(event, *args, namespace=NAMESPACE, callback=True)


def sid_of(client, namespace=NAMESPACE):
    """The Socket.IO sid the server gave `client` in `namespace` (`/test` unless told)."""
    return socketio.server.manager.sid_from_eio_sid(client.eio_sid, namespace)


def response(data, count, sender, name=None, namespace=NAMESPACE):
    """The `my response` that `sender`'s event with `data` causes, as `received` lists it."""
    return ("my response", {"data": data, "count": count, "from": {"sid": sid_of(sender, namespace), "name": name}})


# -- connecting, presence, disconnecting -------------------------------------


def test_connect_greets_the_new_client_then_announces_presence(connect):
    first = connect()
    assert received(first) == [
        ("my response", {"data": "Connected", "count": 0}),
        ("presence", {"event": "connect", "sid": sid_of(first), "name": None, "clients": 1}),
    ]
    second = connect()
    assert received(first) == [("presence", {"event": "connect", "sid": sid_of(second), "name": None, "clients": 2})]
    assert received(second)[0] == ("my response", {"data": "Connected", "count": 0})


def test_disconnect_tells_the_remaining_clients_and_is_logged_with_its_reason(alice, bob, caplog):
    bob_sid = sid_of(bob)
    with caplog.at_level(logging.INFO, logger="playground.events"):
        bob.disconnect(namespace=NAMESPACE)
    assert received(alice) == [("presence", {"event": "disconnect", "sid": bob_sid, "name": None, "clients": 1})]
    assert f"disconnect sid={bob_sid} reason=client disconnect" in caplog.messages


def test_connect_is_logged_with_sid_address_and_transport(connect, caplog):
    with caplog.at_level(logging.INFO, logger="playground.events"):
        client = connect()
    [line] = [m for m in caplog.messages if m.startswith("connect ")]
    # The test client has no socket, so no peer address nor transport; the live suite checks real ones.
    assert line == f"connect sid={sid_of(client)} addr=None transport=unknown"


def test_disconnect_request_says_goodbye_acks_then_disconnects(alice, bob):
    bob_sid = sid_of(bob)
    assert call(bob, "disconnect request") == {"ok": True, "count": 1}
    assert received(bob) == [response("Disconnected!", 1, bob)]
    assert bob.is_connected(NAMESPACE), "the disconnect comes after the ack, from its own task"
    socketio.sleep(0.01)
    assert not bob.is_connected(NAMESPACE)
    assert received(alice) == [("presence", {"event": "disconnect", "sid": bob_sid, "name": None, "clients": 1})]


# -- echo and broadcast -------------------------------------------------------


def test_echo_answers_the_sender_only_and_counts(alice, bob):
    assert call(alice, "my event", {"data": "hello"}) == {"ok": True, "count": 1}
    assert call(alice, "my event", {"data": "again"}) == {"ok": True, "count": 2}
    assert received(alice) == [
        response("hello", 1, alice),
        response("again", 2, alice),
    ]
    assert received(bob) == []


def test_broadcast_reaches_every_client_once_with_the_senders_count(alice, bob):
    call(alice, "my event", {"data": "warm-up"})
    received(alice)
    assert call(alice, "my broadcast event", {"data": "to all"}) == {"ok": True, "count": 2}
    assert received(alice) == [response("to all", 2, alice)]
    assert received(bob) == [response("to all", 2, alice)]


def test_counts_are_per_connection(alice, bob):
    call(alice, "my event", {"data": "a"})
    call(alice, "my event", {"data": "b"})
    assert call(bob, "my event", {"data": "c"}) == {"ok": True, "count": 1}


def test_ping_answers_with_pong(alice, bob):
    assert call(alice, "my ping") == {"ok": True}
    assert received(alice) == [("my pong", None)]
    assert received(bob) == []


def test_message_is_sent_back_with_send(alice, bob):
    assert alice.send("plain text", callback=True, namespace=NAMESPACE) == {"ok": True}
    assert received(alice) == [("message", "plain text")]
    assert received(bob) == []


def test_json_is_sent_back_as_json(alice, bob):
    payload = {"nested": {"list": [1, 2.5, None, True]}, "text": "é"}
    assert alice.send(payload, json=True, callback=True, namespace=NAMESPACE) == {"ok": True}
    assert received(alice) == [("json", payload)]
    assert received(bob) == []


# -- rooms ---------------------------------------------------------------------


def test_join_and_leave_report_the_rooms_the_sender_is_in(alice, bob):
    assert call(alice, "join", {"room": "lobby"}) == {"ok": True, "count": 1, "rooms": ["lobby"]}
    assert call(alice, "join", {"room": "attic"})["rooms"] == ["attic", "lobby"]
    assert call(alice, "leave", {"room": "lobby"}) == {"ok": True, "count": 3, "rooms": ["attic"]}
    assert call(alice, "leave", {"room": "attic"})["rooms"] == []
    assert received(alice) == [
        response("In rooms: lobby", 1, alice),
        response("In rooms: attic, lobby", 2, alice),
        response("In rooms: attic", 3, alice),
        response("In no room", 4, alice),
    ]
    assert received(bob) == []


def test_room_event_reaches_members_only(alice, bob, connect):
    carol = connect()
    call(alice, "join", {"room": "lobby"})
    call(bob, "join", {"room": "lobby"})
    for client in (alice, bob, carol):
        received(client)
    assert call(carol, "my room event", {"room": "lobby", "data": "knock"}) == {"ok": True, "count": 1}
    assert received(alice) == [response("knock", 1, carol)]
    assert received(bob) == [response("knock", 1, carol)]
    assert received(carol) == [], "a sender outside the room does not get its own message"


def test_room_event_reaches_a_member_sender_too(alice, bob):
    call(alice, "join", {"room": "lobby"})
    received(alice)
    call(alice, "my room event", {"room": "lobby", "data": "hi"})
    assert received(alice) == [response("hi", 2, alice)]
    assert received(bob) == []


def test_close_room_warns_the_members_then_empties_the_room(alice, bob):
    call(alice, "join", {"room": "lobby"})
    call(bob, "join", {"room": "lobby"})
    received(alice), received(bob)
    assert call(alice, "close room", {"room": "lobby"}) == {"ok": True, "count": 2}
    assert received(alice) == [response("Room lobby is closing.", 2, alice)]
    assert received(bob) == [response("Room lobby is closing.", 2, alice)]
    call(alice, "my room event", {"room": "lobby", "data": "anyone?"})
    assert received(alice) == [] and received(bob) == []
    assert call(bob, "leave", {"room": "lobby"})["rooms"] == []


# -- bad input ------------------------------------------------------------------

TOO_LONG = "x" * 1001

BAD_INPUT = [
    ("my event", ["not an object"], "expected an object with a 'data' field, got a string"),
    ("my event", [{}], "missing field 'data'"),
    ("my event", [{"data": 42}], "'data' must be a string, got a number"),
    ("my event", [{"data": None}], "'data' must be a string, got nothing"),
    ("my event", [{"data": TOO_LONG}], "'data' is 1001 characters long; the limit is 1000"),
    ("my event", [], "this event takes one payload, got none"),
    ("my event", [{"data": "a"}, {"data": "b"}], "this event takes one payload, got 2 arguments"),
    ("my broadcast event", [{"data": ["list"]}], "'data' must be a string, got a list"),
    ("my broadcast event", [{"data": TOO_LONG}], "'data' is 1001 characters long; the limit is 1000"),
    ("join", [{"room": ""}], "'room' must not be empty"),
    ("join", [{"room": "   "}], "'room' must not be empty"),
    ("join", [{"room": "r" * 65}], "'room' is 65 characters long; the limit is 64"),
    ("join", [{"room": "bell\x07"}], "'room' must not contain control characters"),
    ("join", [{"room": "nul\x00"}], "'room' must not contain control characters"),
    ("join", [{"room": 7}], "'room' must be a string, got a number"),
    ("leave", [{}], "missing field 'room'"),
    ("close room", [[]], "expected an object with a 'room' field, got a list"),
    ("my room event", [{"room": "lobby"}], "missing field 'data'"),
    ("my room event", [{"data": "x"}], "missing field 'room'"),
    ("my room event", [{"room": "lobby", "data": True}], "'data' must be a string, got a boolean"),
    ("disconnect request", [{"data": "x"}], "this event takes no payload, got an object"),
    ("my ping", ["x"], "this event takes no payload, got a string"),
    ("message", [{"data": "x"}], "expected a string, got an object (objects go in the 'json' event)"),
    ("message", [TOO_LONG], "the message is 1001 characters long; the limit is 1000"),
    ("json", ["text"], "expected a JSON object, got a string"),
    ("json", [{"data": "x" * 1000}], "the object is 1011 characters as JSON; the limit is 1000"),
    ("no such event", [{"data": "x"}], "unknown event 'no such event'"),
]


@pytest.mark.parametrize(("event", "args", "error"), BAD_INPUT, ids=[f"{e}:{m[:30]}" for e, _, m in BAD_INPUT])
def test_bad_input_gets_my_error_a_failed_ack_and_one_warning(alice, bob, caplog, event, args, error):
    with caplog.at_level(logging.DEBUG):
        ack = call(alice, event, *args)
    assert ack == {"ok": False, "error": error}
    assert received(alice) == [("my error", {"event": event, "error": error})]
    assert received(bob) == [], "nobody else notices"
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"bad input event={event!r} sid={sid_of(alice)}: {error}")
    ]
    assert alice.is_connected(NAMESPACE)
    assert call(alice, "my event", {"data": "still here"}) == {"ok": True, "count": 1}


def test_limits_are_inclusive(alice):
    assert call(alice, "my event", {"data": "x" * 1000})["ok"]
    assert call(alice, "join", {"room": "r" * 64})["ok"]
    assert call(alice, "my event", {"data": ""})["ok"], "an empty message is a message"


def test_max_message_length_is_configurable(app, connect):
    app.config["MAX_MESSAGE_LENGTH"] = 5
    client = connect()
    assert call(client, "my event", {"data": "12345"})["ok"]
    assert call(client, "my event", {"data": "123456"})["error"] == "'data' is 6 characters long; the limit is 5"


def test_an_exception_in_a_handler_is_one_error_line_and_my_error(alice, bob, caplog):
    @socketio.on("explode", namespace=NAMESPACE)  # registered on this app's server only
    def explode(message):
        raise RuntimeError("kaboom")

    with caplog.at_level(logging.DEBUG):
        ack = call(alice, "explode", {})
    assert ack == {"ok": False, "error": "internal error"}
    assert received(alice) == [("my error", {"event": "explode", "error": "internal error"})]
    assert received(bob) == []
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records] == [
        ("ERROR", f"handler failed event='explode' sid={sid_of(alice)}: RuntimeError: kaboom", None)
    ]


def test_a_type_error_inside_a_handler_is_not_mistaken_for_bad_arguments(alice, caplog):
    @socketio.on("type error", namespace=NAMESPACE)
    def type_error(message):
        return len(42)

    with caplog.at_level(logging.DEBUG):
        assert call(alice, "type error", {}) == {"ok": False, "error": "internal error"}
    assert [r.levelname for r in caplog.records] == ["ERROR"]
