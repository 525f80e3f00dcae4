"""The default namespace `/`, a class-based namespace beside `/test` (unit tests)."""

import logging

import pytest

from playground import create_app, socketio
from playground.config import NAMESPACE, ROOT_NAMESPACE
from tests.test_events import received, response, sid_of


def root_received(client):
    """What `client` has received in `/` since the last call, as (event, payload) pairs."""
    return [(p["name"], p["args"][0] if p["args"] else None) for p in client.get_received(ROOT_NAMESPACE)]


def root_call(client, event, *args):
    """Emit `event` in `/` asking for an ack; return the ack."""
    return client.emit(event, *args, namespace=ROOT_NAMESPACE, callback=True)


@pytest.fixture
def connect_root(app):
    """Connect test clients to `/` (and to `/test` too with `both=True`); disconnected at teardown."""
    clients = []

    def _connect(both=False, auth=None):
        client = socketio.test_client(app, namespace=ROOT_NAMESPACE, auth=auth)
        if both:
            client.connect(namespace=NAMESPACE)
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        for namespace in (NAMESPACE, ROOT_NAMESPACE):
            if client.is_connected(namespace):
                client.disconnect(namespace=namespace)


def root_response(data, count, sender, name=None):
    """The `my response` in `/` that `sender`'s event with `data` causes."""
    return response(data, count, sender, name=name, namespace=ROOT_NAMESPACE)


def test_connect_greets_with_the_namespace_and_no_presence(connect_root, alice):
    client = connect_root()
    assert root_received(client) == [("my response", {"data": "Connected to /", "count": 0})]
    assert received(alice) == [], "presence stays on /test"


def test_echo_in_root_answers_the_sender_only(connect_root):
    ann, ben = connect_root(), connect_root()
    root_received(ann), root_received(ben)
    assert root_call(ann, "my event", {"data": "hello /"}) == {"ok": True, "count": 1}
    assert root_call(ann, "my event", {"data": "again"}) == {"ok": True, "count": 2}
    assert root_received(ann) == [root_response("hello /", 1, ann), root_response("again", 2, ann)]
    assert root_received(ben) == []


def test_broadcast_in_root_reaches_root_clients_only(connect_root, alice):
    ann, ben = connect_root(), connect_root(both=True)
    root_received(ann), root_received(ben), received(ben), received(alice)
    assert root_call(ben, "my broadcast event", {"data": "to /"}) == {"ok": True, "count": 1}
    assert root_received(ann) == [root_response("to /", 1, ben)]
    assert root_received(ben) == [root_response("to /", 1, ben)]
    assert received(alice) == [], "a client of /test only gets nothing"
    assert received(ben) == [], "nor does the same client's /test socket"


def test_the_two_namespaces_have_their_own_sids_and_counts(connect_root):
    client = connect_root(both=True)
    root_received(client), received(client)
    assert sid_of(client, ROOT_NAMESPACE) != sid_of(client, NAMESPACE)
    root_call(client, "my event", {"data": "a"})
    assert client.emit("my event", {"data": "b"}, namespace=NAMESPACE, callback=True)["count"] == 1


def test_a_name_in_root_shows_in_from_and_a_wrong_one_is_refused(connect_root, caplog):
    ada = connect_root(auth={"name": "Ada"})
    root_received(ada)
    root_call(ada, "my event", {"data": "hi"})
    assert root_received(ada) == [root_response("hi", 1, ada, name="Ada")]
    with caplog.at_level(logging.WARNING):
        refused = connect_root(auth={"name": ""})
    assert not refused.is_connected(ROOT_NAMESPACE)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "refused addr=None reason=name must be 1-32 characters, got 0"
    ]


@pytest.mark.parametrize(
    ("event", "args", "error"),
    [
        ("my event", [{"data": 5}], "'data' must be a string, got a number"),
        ("my event", [], "this event takes one payload, got none"),
        ("my broadcast event", ["x"], "expected an object with a 'data' field, got a string"),
        ("my broadcast event", [{"data": "x" * 1001}], "'data' is 1001 characters long; the limit is 1000"),
        ("join", [{"room": "lobby"}], "unknown event 'join'"),
        ("my_event", [{"data": "x"}], "unknown event 'my_event'"),
    ],
)
def test_bad_input_in_root_gets_my_error_a_failed_ack_and_one_warning(connect_root, caplog, event, args, error):
    ann, ben = connect_root(), connect_root()
    root_received(ann), root_received(ben)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        assert root_call(ann, event, *args) == {"ok": False, "error": error}
    assert root_received(ann) == [("my error", {"event": event, "error": error})]
    assert root_received(ben) == []
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"bad input event={event!r} sid={sid_of(ann, ROOT_NAMESPACE)}: {error}")
    ]


def test_root_is_rate_limited_like_test():
    limited_app = create_app({"TESTING": True, "SECRET_KEY": "t", "FEED_INTERVAL": 0, "RATE_LIMIT": 1})
    client = socketio.test_client(limited_app, namespace=ROOT_NAMESPACE)
    acks = [root_call(client, "my event", {"data": str(n)}) for n in range(4)]
    assert [ack["ok"] for ack in acks] == [True, True, False, False]
    assert acks[2] == {"ok": False, "error": "rate limited"}
    client.disconnect(namespace=ROOT_NAMESPACE)


@pytest.mark.parametrize("event", ["connect", "disconnect"])
def test_a_client_sent_lifecycle_event_in_root_reaches_no_handler(connect_root, event):
    client = connect_root()
    root_received(client)
    assert root_call(client, event, {"name": "Mallory"}) == {"ok": False, "error": "reserved event name"}
    assert root_received(client) == [("my error", {"event": event, "error": "reserved event name"})]
    assert client.is_connected(ROOT_NAMESPACE)
    assert root_call(client, "my event", {"data": "x"}) == {"ok": True, "count": 1}, "no second greeting, count kept"
