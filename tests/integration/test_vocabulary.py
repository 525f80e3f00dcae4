"""Issue 11's contract against real servers over WebSocket and long-polling: names and refusals, `/`,
`call me`, binary, broadcast to others, one client by its sid."""

import os
import time

import pytest
import socketio

from playground.config import NAMESPACE, ROOT_NAMESPACE
from tests.figures import record
from tests.integration.test_live_server import responses, settle

pytestmark = pytest.mark.integration

CALL_TIMEOUT = 1.0
SERVER_ENV = {"FEED_INTERVAL": "0", "CALL_TIMEOUT": str(CALL_TIMEOUT)}
EVERY_BYTE = bytes(range(256))
ECHOES = 12


def sender(client, name=None):
    """The `from` of a `my response` that `client`'s event caused."""
    return {"sid": client.sid, "name": name}


def refusal(url, transport, auth):
    """Connect to `/test` with `auth`, expecting a refusal; return the message `connect_error` carried."""
    seen = []
    sio = socketio.Client(reconnection=False)
    sio.on("connect_error", seen.append, namespace=NAMESPACE)
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(url, auth=auth, namespaces=[NAMESPACE], transports=[transport], wait_timeout=10)
    sio.disconnect()
    assert len(seen) == 1, seen
    return seen[0]["message"]


def test_names_are_kept_and_shown_in_presence_and_from(clients):
    ada = clients(auth={"name": " Ada "})
    bob = clients(auth={"name": "Bob"})
    ada.wait_until(lambda c: any(p["sid"] == bob.sid for p in c.of("presence")), what="bob's arrival")
    assert ada.of("presence")[-1] == {"event": "connect", "sid": bob.sid, "name": "Bob", "clients": 2}
    assert ada.call("my broadcast event", {"data": "hi"})["ok"]
    settle(ada, bob)
    for client in (ada, bob):
        [said] = [p for p in client.of("my response") if p["data"] == "hi"]
        assert said["from"] == sender(ada, "Ada")


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ("Ada", 'auth must be an object like {"name": "Ada"}, got a string'),
        ({"name": 7}, "name must be a string, got a number"),
        ({"name": "   "}, "name must be 1-32 characters, got 0"),
        ({"name": "x" * 5000}, "name must be 1-32 characters, got 5000"),
        ({"name": "tab\there"}, "name must not contain control characters"),
    ],
)
def test_a_wrong_name_reaches_connect_error_and_leaves_no_presence(server, clients, transport, auth, message):
    watcher = clients()
    settle(watcher)
    before = len(watcher.of("presence"))
    assert refusal(server.url, transport, auth) == message
    server.wait_for_output(f"refused addr=127.0.0.1 reason={message}")
    settle(watcher)
    assert len(watcher.of("presence")) == before, "no presence for a refused connection"
    assert server.health()["clients"] == 1


def test_root_shares_the_engine_and_keeps_its_broadcasts_to_itself(clients):
    both = clients(root=True)
    other = clients(root=True)
    test_only = clients()
    assert both.of("/:my response")[0] == {"data": "Connected to /", "count": 0}
    assert both.root_sid != both.sid, "one engine, two namespace sids"
    assert set(both.sio.namespaces) == {NAMESPACE, ROOT_NAMESPACE} and both.sio.eio.sid, "over one Engine.IO session"
    assert both.call("my event", {"data": "echo /"}, namespace=ROOT_NAMESPACE) == {"ok": True, "count": 1}
    assert both.call("my broadcast event", {"data": "all of /"}, namespace=ROOT_NAMESPACE)["ok"]
    settle(both, other, test_only)
    root_said = {"sid": both.root_sid, "name": None}
    assert both.of("/:my response")[1:] == [
        {"data": "echo /", "count": 1, "from": root_said},
        {"data": "all of /", "count": 2, "from": root_said},
    ]
    assert other.of("/:my response")[1:] == [{"data": "all of /", "count": 2, "from": root_said}]
    assert responses(test_only) == [] and responses(both) == [], "nothing reaches /test"


def test_call_me_answered(clients):
    client = clients(answer=lambda question: {"answer": question["question"]})
    assert client.call("call me") == {"ok": True}
    [report] = client.wait_for("my response", 2)[1:]
    assert client.of("are you there") == [{"question": "Are you there?"}]
    text, delay = report["data"].rsplit(" after ", 1)
    assert text == 'You answered {"answer": "Are you there?"}'
    record("vocabulary (live)", f"call me answer round trip ({client.sio.transport()})", delay)
    assert int(delay.removesuffix(" ms")) < 1000
    assert report["from"] == sender(client)
    time.sleep(CALL_TIMEOUT + 0.2)
    assert client.of("my error") == [], "no timeout after an answer"


def test_call_me_unanswered_ends_in_my_error_at_call_timeout(server, clients):
    client = clients()
    asked = time.monotonic()
    assert client.call("call me") == {"ok": True}
    [error] = client.wait_for("my error", timeout=CALL_TIMEOUT + 5)
    waited = time.monotonic() - asked
    assert error == {"event": "call me", "error": f"no answer within {CALL_TIMEOUT:g} s"}
    record("vocabulary (live)", f"call me timeout after (CALL_TIMEOUT={CALL_TIMEOUT:g} s)", f"{waited:.3f} s")
    assert CALL_TIMEOUT - 0.05 <= waited < CALL_TIMEOUT + 1
    server.wait_for_output(f"no answer sid={client.sid} within {CALL_TIMEOUT}s")


def test_echoes_are_not_delayed_while_the_server_waits_for_an_answer(clients):
    client = clients()
    other = clients()
    assert client.call("call me") == {"ok": True}
    round_trips = []
    for n in range(10):
        started = time.monotonic()
        assert client.call("my event", {"data": f"echo {n}"})["ok"]
        round_trips.append(time.monotonic() - started)
    assert other.call("my event", {"data": "someone else"})["ok"]
    assert client.of("my error") == [], "all ten echoes came back before the question timed out"
    worst = max(round_trips)
    record("vocabulary (live)", "slowest echo while a question waits", f"{worst * 1000:.1f} ms")
    assert worst < 0.5, round_trips
    client.wait_for("my error", timeout=CALL_TIMEOUT + 5)


def test_call_me_answered_amid_a_stream_of_echoes(clients):
    client = clients(answer=lambda question: "here")
    # At most 16 packets may share one long-polling POST (Engine.IO's limit), so 13 in all.
    for n in range(ECHOES):
        client.emit("my event", {"data": f"echo {n}"})
        if n == 5:
            client.emit("call me")
    client.wait_until(lambda c: len(c.of("my response")) >= ECHOES + 2, what="the echoes and the answer's report")
    data = [p["data"] for p in client.of("my response")[1:]]
    assert [d for d in data if d.startswith("echo ")] == [f"echo {n}" for n in range(ECHOES)]
    assert len([d for d in data if d.startswith('You answered "here" after ')]) == 1
    assert sorted(p["count"] for p in client.of("my response")[1:]) == list(range(1, ECHOES + 2))


@pytest.mark.parametrize(
    "payload", [EVERY_BYTE, b"\x00", os.urandom(32768), EVERY_BYTE * 4 + b"\xff"], ids=["0-255", "1", "32768", "1025"]
)
def test_binary_round_trip_is_byte_exact(clients, payload):
    client, other = clients(), clients()
    assert client.call("my binary event", payload) == {"ok": True, "bytes": len(payload)}
    [back] = client.wait_for("my binary response")
    assert back == payload
    settle(client, other)
    assert other.of("my binary response") == [] and client.of("my binary response") == [payload]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"", "the binary payload is empty"),
        (b"x" * 32769, "the binary payload is 32769 bytes; the limit is 32768"),
        ("text", "expected binary data (an ArrayBuffer, a Blob or bytes), got a string"),
    ],
)
def test_binary_bad_input(server, clients, payload, error):
    client = clients()
    assert client.call("my binary event", payload) == {"ok": False, "error": error}
    assert client.wait_for("my error") == [{"event": "my binary event", "error": error}]
    assert client.of("my binary response") == []
    server.wait_for_output(f"bad input event='my binary event' sid={client.sid}: {error}")


def test_broadcast_to_others_skips_the_sender_only(clients):
    alice, bob, carol = clients(), clients(), clients()
    assert alice.call("my broadcast event", {"data": "not to me", "include_self": False})["ok"]
    settle(alice, bob, carol)
    assert responses(alice) == []
    assert responses(bob) == ["not to me"] and responses(carol) == ["not to me"]


def test_a_room_event_to_a_sid_reaches_that_client_alone(clients):
    alice, bob, carol = clients(), clients(), clients()
    assert alice.call("my room event", {"room": bob.sid, "data": "psst"})["ok"]
    settle(alice, bob, carol)
    assert responses(bob) == ["psst"]
    assert [p["from"] for p in bob.of("my response") if p["data"] == "psst"] == [sender(alice)]
    assert responses(alice) == [] and responses(carol) == []
