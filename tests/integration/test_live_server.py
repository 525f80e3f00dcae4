"""The contract against real server processes, over real WebSocket and long-polling connections.

Every test runs against both commands a user runs, `python app.py` and the
Procfile's `web` line read from the file, and over both transports.
"""

import re
import time

import pytest

from tests.live import LiveClient
from tests.servers import ServerProcess, procfile_command

pytestmark = pytest.mark.integration

FEED_INTERVAL = 0.2

#: What this module's servers run with (the `server` fixture in conftest reads it).
SERVER_ENV = {"FEED_INTERVAL": str(FEED_INTERVAL)}


def responses(client):
    """The `data` of every `my response` `client` got after its greeting, settle markers left out."""
    return [p["data"] for p in client.of("my response")[1:] if not p["data"].startswith(SETTLE)]


SETTLE = "settle-"


def settle(*clients):
    """Make sure everything sent to `clients` so far has arrived.

    Each client echoes a marker and waits for it: the server answers a
    connection's events in order, so whatever was emitted to that client
    before the marker reached it first.
    """
    for client in clients:
        marker = f"{SETTLE}{time.monotonic_ns()}"
        assert client.call("my event", {"data": marker})["ok"]
        client.wait_until(lambda c, marker=marker: any(p["data"] == marker for p in c.of("my response")))


def test_connect_is_greeted_and_logged_with_the_transport(server, clients, transport):
    client = clients()
    assert client.of("my response")[0] == {"data": "Connected", "count": 0}
    server.wait_for_output(f"connect sid={client.sid} addr=127.0.0.1 transport={transport}")


def test_echo_reaches_only_the_sender(clients):
    alice, bob = clients(), clients()
    assert alice.call("my event", {"data": "just for me"}) == {"ok": True, "count": 1}
    settle(alice, bob)
    assert responses(alice) == ["just for me"]
    assert responses(bob) == []


def test_broadcast_reaches_every_client_exactly_once(clients):
    alice, bob = clients(), clients()
    assert alice.call("my broadcast event", {"data": "to everyone"})["ok"]
    settle(alice, bob)
    assert responses(alice) == ["to everyone"]
    assert responses(bob) == ["to everyone"]


def test_room_events_reach_members_only(clients):
    alice, bob, carol = clients(), clients(), clients()
    assert alice.call("join", {"room": "lobby"})["rooms"] == ["lobby"]
    assert bob.call("join", {"room": "lobby"})["rooms"] == ["lobby"]
    assert carol.call("my room event", {"room": "lobby", "data": "knock knock"})["ok"]
    settle(alice, bob, carol)
    assert responses(alice) == ["In rooms: lobby", "knock knock"]
    assert responses(bob) == ["In rooms: lobby", "knock knock"]
    assert responses(carol) == []
    assert bob.call("leave", {"room": "lobby"})["rooms"] == []
    assert alice.call("close room", {"room": "lobby"})["ok"]
    settle(alice, bob)
    assert responses(alice)[-1] == "Room lobby is closing."
    assert "Room lobby is closing." not in responses(bob)


def test_bad_input_answers_the_sender_only_and_logs_one_line(server, clients):
    alice, bob = clients(), clients()
    error = "'data' must be a string, got a number"
    assert alice.call("my event", {"data": 12}) == {"ok": False, "error": error}
    assert alice.wait_for("my error") == [{"event": "my event", "error": error}]
    settle(alice, bob)
    assert bob.of("my error") == [] and responses(bob) == []
    output = server.wait_for_output(f"bad input event='my event' sid={alice.sid}: {error}")
    assert "Traceback" not in output


def test_feed_arrives_at_the_configured_rate(clients):
    client = clients()
    client.wait_for("newnumber")
    start = len(client.of("newnumber"))
    time.sleep(2.0)
    got = len(client.of("newnumber")) - start
    expected = 2.0 / FEED_INTERVAL
    assert expected * 0.7 <= got <= expected * 1.3, f"{got} numbers in 2 s at one per {FEED_INTERVAL} s"
    assert all(0 <= n["number"] < 10 for n in client.of("newnumber"))


def test_disconnect_is_logged_with_its_reason_and_announced(server, clients):
    alice, bob = clients(), clients()
    alice.wait_until(lambda c: c.of("presence")[-1]["sid"] == bob.sid, what="bob's arrival")
    assert alice.of("presence")[-1] == {"event": "connect", "sid": bob.sid, "name": None, "clients": 2}
    bob.disconnect()
    output = server.wait_for_output(f"disconnect sid={bob.sid} reason=")
    # The client sends its namespace DISCONNECT and closes the transport right
    # after; engine.io handles the close first when the packet's handler is
    # still queued, so either reason is a truthful account of a clean exit.
    [reason] = re.findall(rf"disconnect sid={bob.sid} reason=(.*)", output)
    assert reason in ("client disconnect", "transport close")
    alice.wait_until(lambda c: c.of("presence")[-1]["event"] == "disconnect", what="bob's departure")
    assert alice.of("presence")[-1] == {"event": "disconnect", "sid": bob.sid, "name": None, "clients": 1}


def test_disconnect_request_disconnects_from_the_server_side(server, clients):
    client = clients()
    assert client.call("disconnect request") == {"ok": True, "count": 1}
    client.wait_for("(disconnect)")
    assert responses(client) == ["Disconnected!"]
    server.wait_for_output(f"disconnect sid={client.sid} reason=server disconnect")


def test_ping_pong_and_send_and_json(clients):
    client = clients()
    assert client.call("my ping") == {"ok": True}
    client.wait_for("my pong")
    client.sio.send("plain", namespace="/test")
    assert client.wait_for("message") == ["plain"]
    assert client.call("json", {"a": [1, 2]}) == {"ok": True}
    assert client.wait_for("json") == [{"a": [1, 2]}]


@pytest.mark.parametrize(("proxy_count", "logged"), [("0", "127.0.0.1"), ("1", "203.0.113.9")])
def test_forwarded_address_is_believed_only_behind_a_configured_proxy(proxy_count, logged):
    env = {"FEED_INTERVAL": "0", "PROXY_COUNT": proxy_count}
    with ServerProcess(procfile_command(), env=env) as server:
        client = LiveClient(server.url, "websocket", headers={"X-Forwarded-For": "203.0.113.9"})
        try:
            server.wait_for_output(f"connect sid={client.sid} addr={logged} transport=websocket")
        finally:
            client.disconnect()
