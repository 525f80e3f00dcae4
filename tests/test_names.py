"""Names given in `auth` when connecting to `/test`, and the connections refused for a wrong one (unit tests)."""

import logging

import pytest
from flask_socketio import ConnectionRefusedError

from playground import names
from playground.config import NAMESPACE
from tests.test_events import call, received, response, sid_of

# What the worst client can put in `auth`, and what the refusal says about it.
WRONG_AUTH = [
    ("Ada", 'auth must be an object like {"name": "Ada"}, got a string'),
    (42, 'auth must be an object like {"name": "Ada"}, got a number'),
    (True, 'auth must be an object like {"name": "Ada"}, got a boolean'),
    (["Ada"], 'auth must be an object like {"name": "Ada"}, got a list'),
    ({"name": 42}, "name must be a string, got a number"),
    ({"name": True}, "name must be a string, got a boolean"),
    ({"name": ["Ada"]}, "name must be a string, got a list"),
    ({"name": {"first": "Ada"}}, "name must be a string, got an object"),
    ({"name": ""}, "name must be 1-32 characters, got 0"),
    ({"name": "   \t "}, "name must be 1-32 characters, got 0"),
    ({"name": "x" * 33}, "name must be 1-32 characters, got 33"),
    ({"name": "x" * 100_000}, "name must be 1-32 characters, got 100000"),
    ({"name": "bell\x07"}, "name must not contain control characters"),
    ({"name": "nul\x00byte"}, "name must not contain control characters"),
    ({"name": "line\nbreak"}, "name must not contain control characters"),
    ({"name": "del\x7f"}, "name must not contain control characters"),
]


@pytest.mark.parametrize(("auth", "reason"), WRONG_AUTH, ids=[reason[:40] for _, reason in WRONG_AUTH])
def test_name_from_refuses_wrong_auth_with_a_reason(auth, reason):
    with pytest.raises(ConnectionRefusedError) as refused:
        names.name_from(auth)
    assert refused.value.error_args == {"message": reason}


@pytest.mark.parametrize(
    ("auth", "name"),
    [
        (None, None),
        ({}, None),
        ({"name": None}, None),
        ({"other": "field"}, None),
        ({"name": "Ada"}, "Ada"),
        ({"name": "  Ada Lovelace  "}, "Ada Lovelace"),
        ({"name": "x" * 32}, "x" * 32),
        ({"name": " " + "x" * 32 + " "}, "x" * 32),
        ({"name": "Grace 🐛"}, "Grace 🐛"),
    ],
)
def test_name_from_accepts_no_name_or_a_valid_one(auth, name):
    assert names.name_from(auth) == name


# A bare number after a CONNECT's namespace reads as a packet id on the wire ("0/test,42"), so it never
# arrives as auth: the client connects without a name (test_a_number_as_auth_reads_as_no_auth).
WIRE_AUTH = [(auth, reason) for auth, reason in WRONG_AUTH if not isinstance(auth, int) or isinstance(auth, bool)]


@pytest.mark.parametrize(("auth", "reason"), WIRE_AUTH, ids=[reason[:40] for _, reason in WIRE_AUTH])
def test_a_wrong_name_is_refused_with_one_warning_and_no_presence(alice, connect, caplog, auth, reason):
    with caplog.at_level(logging.DEBUG):
        connect(auth=auth, refused=True)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"refused addr=None reason={reason}")
    ]
    assert received(alice) == [], "no presence, nothing else"
    assert call(alice, "my event", {"data": "still here"})["ok"]


def test_a_name_is_kept_and_shown_in_presence_and_from(alice, connect):
    ada = connect(auth={"name": "  Ada "})
    assert received(ada) == [
        ("my response", {"data": "Connected", "count": 0}),
        ("presence", {"event": "connect", "sid": sid_of(ada), "name": "Ada", "clients": 2}),
    ]
    assert received(alice) == [("presence", {"event": "connect", "sid": sid_of(ada), "name": "Ada", "clients": 2})]
    call(ada, "my broadcast event", {"data": "hi"})
    assert received(alice) == [response("hi", 1, ada, name="Ada")]
    ada_sid = sid_of(ada)
    ada.disconnect(namespace=NAMESPACE)
    assert received(alice) == [("presence", {"event": "disconnect", "sid": ada_sid, "name": "Ada", "clients": 1})]


@pytest.mark.parametrize("auth", [None, {}, {"name": None}])
def test_no_name_connects_as_before_with_a_null_name(connect, auth):
    client = connect(auth=auth)
    assert client.is_connected(NAMESPACE)
    assert received(client)[1] == ("presence", {"event": "connect", "sid": sid_of(client), "name": None, "clients": 1})
    call(client, "my event", {"data": "x"})
    assert received(client) == [response("x", 1, client)]


def test_every_my_response_caused_by_an_event_says_who_sent_it(alice, bob, connect):
    ada = connect(auth={"name": "Ada"})
    received(ada), received(alice), received(bob)
    call(ada, "join", {"room": "lobby"})
    call(alice, "join", {"room": "lobby"})
    received(alice)
    call(ada, "my room event", {"room": "lobby", "data": "knock"})
    call(ada, "leave", {"room": "lobby"})
    call(alice, "close room", {"room": "lobby"})
    assert received(ada) == [
        response("In rooms: lobby", 1, ada, name="Ada"),
        response("knock", 2, ada, name="Ada"),
        response("In no room", 3, ada, name="Ada"),
    ]
    assert received(alice) == [response("knock", 2, ada, name="Ada"), response("Room lobby is closing.", 2, alice)]
    assert received(bob) == []


def test_a_number_as_auth_reads_as_no_auth(connect):
    client = connect(auth=42)
    assert client.is_connected(NAMESPACE)
    assert received(client)[1][1]["name"] is None
