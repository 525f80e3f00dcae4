"""The packet layer against a real server (both launchers): raw Socket.IO packets over WebSocket and polling.

Each test has a sender that writes packets by hand (`RawClient`,
`RawPollingClient`) next to an observer on python-socketio, and checks what
the sender, the observer, `/healthz` and the server's log each see.
"""

import contextlib
import json
import re
import time

import pytest

from playground.config import DEFAULTS, NAMESPACE
from playground.packets import RESERVED_EVENTS
from tests.hostile.conftest import report, rss_kib, worker_pid
from tests.hostile.polling import RawPollingClient
from tests.hostile.wire import RawClient
from tests.live import LiveClient
from tests.servers import app_py_command, procfile_command

#: Events per second per connection on the server of these tests: bursts of 10, so a reset shows at once.
RATE = 5

TRANSPORTS = ["websocket", "polling"]
PRIVATE = "rooms named after a client are private"


#: Both launchers: the guard is installed by `create_app`, which each of them runs.
LAUNCHERS = {"app.py": app_py_command, "Procfile": procfile_command}


@pytest.fixture(scope="module", params=sorted(LAUNCHERS))
def server(serve, request):
    """A real server, `python app.py` or the Procfile's command, with a tight rate limit."""
    with serve(env={"RATE_LIMIT": str(RATE)}, command=LAUNCHERS[request.param]()) as process:
        yield process


@pytest.fixture
def raw():
    """Open raw senders joined to `/test` over a transport; all are closed at teardown."""
    opened = []

    def _open(port, transport):
        client = (RawClient(port) if transport == "websocket" else RawPollingClient(port)).join_namespace()
        opened.append(client)
        return client

    yield _open
    for client in opened:
        with contextlib.suppress(Exception):
            client.close()


@pytest.fixture
def observer(server):
    """A python-socketio client on `/test` that records everything it is sent."""
    client = LiveClient(server.url)
    yield client
    client.disconnect()


def call(client, ack_id, event, payload=None):
    """Send `event` asking for ack `ack_id`; return the ack's payload."""
    args = [] if payload is None else [payload]
    client.send_raw(f"42{NAMESPACE},{ack_id}" + json.dumps([event, *args]))
    prefix = f"43{NAMESPACE},{ack_id}["
    return json.loads(client.read_packet(lambda packet: packet.startswith(prefix))[len(prefix) - 1 :])[0]


def joined(observer, sender):
    """Wait until `observer` has seen `sender` arrive, then forget everything it received."""
    observer.wait_until(lambda c: any(p["sid"] == sender.sid for p in c.of("presence")), what="the sender's presence")
    observer.clear()


def quiet(observer):
    """What `observer` received besides its own echo, once the echo is back (anything earlier came first)."""
    assert observer.call("my event", {"data": "mine"})["ok"] is True
    observer.wait_for("my response")
    return [(name, payload) for name, payload in observer.events if (payload or {}).get("data") != "mine"]


def passed_within_bucket(sender, first_id, count):
    """Send `count` echoes asking for acks; how many got through."""
    return sum(call(sender, first_id + i, "my event", {"data": "after"})["ok"] for i in range(count))


@pytest.mark.integration
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
def test_reserved_names_reach_no_handler(server, raw, observer, transport, name):
    """`disconnect` & co. as events: my error + failed ack, no presence, same count, one line, bucket kept."""
    sender = raw(server.port, transport)
    joined(observer, sender)
    clients = server.health()["clients"]
    before = len(server.output())
    start = time.monotonic()
    assert sum(call(sender, i, "my event", {"data": "spend"})["ok"] for i in range(2 * RATE - 1)) == 2 * RATE - 1

    assert call(sender, 100, name, {"data": "x"}) == {"ok": False, "error": "reserved event name"}
    assert sender.of("my error") == [{"event": name, "error": "reserved event name"}]
    # The bucket is as empty as before: a reset would let all ten through.
    passed = passed_within_bucket(sender, 200, 10)
    elapsed = time.monotonic() - start
    assert passed <= 1 + RATE * elapsed, (passed, elapsed)

    assert quiet(observer) == []
    assert server.health()["clients"] == clients
    output = server.output()[before:]
    lines = [line for line in output.splitlines() if "reserved event name" in line]
    assert len(lines) == 1, output
    assert f"WARNING playground.packets: bad input event={name!r} sid={sender.sid}: reserved event name" in lines[0]
    assert f"disconnect sid={sender.sid}" not in output and not re.search(r"\bconnect sid=", output)


@pytest.mark.integration
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_another_clients_sid_is_no_room(server, raw, observer, transport):
    """join, leave, close room on a victim's sid: refused before anything is emitted; sending to it still works."""
    sender = raw(server.port, transport)
    joined(observer, sender)
    before = len(server.output())
    for ack_id, event in enumerate(["join", "close room", "leave"]):
        assert call(sender, ack_id, event, {"room": observer.sid}) == {"ok": False, "error": PRIVATE}
    assert sender.of("my error") == [{"event": e, "error": PRIVATE} for e in ("join", "close room", "leave")]
    assert quiet(observer) == []
    output = server.output()[before:]
    assert output.count(f"sid={sender.sid}: {PRIVATE}") == 3 and output.count("WARNING") == 3, output
    assert " ERROR " not in output and "is closing" not in output

    assert call(sender, 9, "my room event", {"room": observer.sid, "data": "for you"})["ok"] is True
    direct = {"data": "for you", "count": 1, "from": {"sid": sender.sid, "name": None}}
    observer.wait_until(lambda c: direct in c.of("my response"), what="the direct message")


@pytest.mark.integration
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_rejoining_the_namespace_keeps_the_bucket(server, raw, observer, transport):
    """Leave `/test` and connect again over the same Engine.IO connection: the bucket is still spent."""
    sender = raw(server.port, transport)
    joined(observer, sender)
    start = time.monotonic()
    assert passed_within_bucket(sender, 0, 2 * RATE) == 2 * RATE
    first_sid = sender.sid
    sender.send_raw(f"41{NAMESPACE},")
    sender.send_raw(f"40{NAMESPACE},")
    sender.read_packet(lambda packet: packet.startswith(f"40{NAMESPACE},") and first_sid not in packet)
    passed = passed_within_bucket(sender, 100, 10)
    elapsed = time.monotonic() - start
    assert passed <= 1 + RATE * elapsed, (passed, elapsed)
    report(f"namespace re-join over {transport}: echoes through of 10 sent right after", passed)


@pytest.mark.integration
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("message", [f"42{NAMESPACE},[]", f"45{NAMESPACE}," + json.dumps(["my event"]), "49"])
def test_a_malformed_packet_closes_its_connection_with_one_line(server, raw, observer, transport, message):
    """python-socketio raised on these (a traceback each; `45` wedged the connection): now closed, one WARNING."""
    sender = raw(server.port, transport)
    joined(observer, sender)
    before = len(server.output())
    start = time.monotonic()
    sender.send_raw(message)
    with pytest.raises(ConnectionError):
        sender.read_packet(lambda packet: False, timeout=5)
    # Engine.IO's CLOSE, before the socket goes (a polling session without a GET waiting gets a 400 instead).
    assert sender.closed and ("1" in sender.packets or transport == "polling")
    report(f"malformed packet over {transport}: closed within (ms)", f"{(time.monotonic() - start) * 1000:.0f}")
    output = server.wait_for_output(f"disconnect sid={sender.sid}")[before:]
    lines = [line for line in output.splitlines() if "malformed packet" in line]
    assert len(lines) == 1 and " WARNING playground.packets: " in lines[0], output
    # (Engine.IO may log its own line, once per process, for the raw polling client's GET after the close.)
    assert "Traceback" not in output and "handler error" not in output
    assert observer.call("my event", {"data": "mine"})["ok"] is True


@pytest.mark.integration
def test_a_poll_of_many_packets_is_handled_packet_by_packet(server, raw, observer):
    """40 events in one POST, as clients send what has piled up: each handled once, in order, limited as usual.

    Engine.IO decodes at most 16 packets of a polling body: it logged a
    traceback, answered 200 and dropped all 40.
    """
    sender = raw(server.port, "polling")
    joined(observer, sender)
    before = len(server.output())
    sender.send_raw("\x1e".join(f"42{NAMESPACE},{i}" + json.dumps(["my event", {"data": str(i)}]) for i in range(40)))
    sender.read_packet(lambda packet: packet.startswith(f"43{NAMESPACE},39["))
    acks = [json.loads(packet[packet.index("[") :])[0] for packet in sender.packets if packet.startswith("43")]
    assert [ack["ok"] for ack in acks] == [True] * (2 * RATE) + [False] * (40 - 2 * RATE)
    assert [packet[len(f"43{NAMESPACE},") :].split("[")[0] for packet in sender.packets if packet.startswith("43")] == [
        str(i) for i in range(40)
    ]
    echoes = [payload["data"] for payload in sender.of("my response") if "from" in payload]  # not the greeting
    assert echoes == [str(i) for i in range(2 * RATE)]
    assert sender.of("my error") == [{"event": "my event", "error": "rate limited"}]
    assert quiet(observer) == []
    output = server.output()[before:]
    assert "Traceback" not in output and "handler error" not in output, output


#: Engine.IO packets no client sends: unknown types, a client's ping, bad base64, empty, JSONP's form on a WebSocket.
_NO_CLIENT_SENDS = [b"x", b"0", b"2", b"6", b"9", b"bA"]
ENGINE_GARBAGE = [
    *(("websocket", garbage) for garbage in [*_NO_CLIENT_SENDS, b"", b"d=4x"]),
    # (An empty body is no packet at all, and a text frame that is not UTF-8 is the frame reader's: test_frames.)
    *(("polling", garbage) for garbage in [*_NO_CLIENT_SENDS, b"4a\x1e\x1e4b", b"d=2", b"4\xff"]),
]


@pytest.mark.integration
@pytest.mark.parametrize(("transport", "garbage"), ENGINE_GARBAGE, ids=repr)
def test_an_engineio_packet_no_client_sends_closes_its_connection_with_one_line(
    server, raw, observer, transport, garbage
):
    """python-engineio logged a traceback on these, ignored them, or hung the POST and failed it with a 500."""
    sender = raw(server.port, transport)
    joined(observer, sender)
    before = len(server.output())
    start = time.monotonic()
    if transport == "polling":
        assert sender.post(garbage).status_code == 400
    else:
        sender.send_raw(garbage.decode())
        with pytest.raises(ConnectionError):
            sender.read_packet(lambda packet: False, timeout=5)
    report(f"Engine.IO garbage over {transport}: answered within (ms)", f"{(time.monotonic() - start) * 1000:.0f}")
    output = server.wait_for_output(f"disconnect sid={sender.sid}")[before:]
    lines = [line for line in output.splitlines() if "closing connection" in line]
    assert len(lines) == 1 and " WARNING playground.transport: " in lines[0], output
    assert f"eio_sid={sender.eio_sid}: " in lines[0], "the line names the client, on a WebSocket that opened alone too"
    assert "Traceback" not in output and " ERROR " not in output, output
    assert observer.call("my event", {"data": "mine"})["ok"] is True


@pytest.mark.integration
def test_a_post_after_the_session_ended_is_answered_400_not_500(server, raw):
    """Engine.IO keeps an ended session until its next request, and answered that POST with a traceback and 500."""
    sender = raw(server.port, "polling")
    before = len(server.output())
    sender.send_raw("1")  # the client's own close
    assert sender.post(b"4x").status_code == 400
    output = server.output()[before:]
    assert "Traceback" not in output and " 500 " not in output, output


MAX_HTTP_BUFFER_SIZE = DEFAULTS["MAX_HTTP_BUFFER_SIZE"]
ATTACHMENT_SIZE = 16 * 1024


@pytest.mark.integration
def test_a_thousand_attachments_are_refused_unbuffered(serve, raw):
    """One packet announcing 1,000 attachments of 16 KiB (16 MB): refused at its header, RSS stays flat."""
    with serve(env={"RATE_LIMIT": "0"}) as unlimited:
        observer = LiveClient(unlimited.url)
        sender = raw(unlimited.port, "websocket")
        pid = worker_pid(unlimited)
        rss_before = rss_kib(pid)
        before = len(unlimited.output())
        placeholder = {"_placeholder": True, "num": 0}
        sender.send_raw(f"451000-{NAMESPACE},1" + json.dumps(["my event", placeholder]))
        error = "this event takes at most 0 binary attachments, got 1000"
        prefix = f"43{NAMESPACE},1["
        ack = sender.read_packet(lambda packet: packet.startswith(prefix))
        assert json.loads(ack[len(prefix) - 1 :]) == [{"ok": False, "error": error}]
        attachment = b"\xff" * ATTACHMENT_SIZE
        for _ in range(1000):
            sender.send_binary(attachment)
        # Every attachment was counted off: the next packet is an event again, answered in order.
        assert call(sender, 2, "my event", {"data": "after"})["ok"] is True
        growth = (rss_kib(pid) - rss_before) / 1024
        report("1,000 announced attachments of 16 KiB: server RSS growth (MiB)", f"{growth:.1f}")
        assert growth < 5, growth
        assert sender.of("my error") == [{"event": "my event", "error": error}]
        # A generous timeout: gevent-websocket 0.10.1 unmasks frames in Python on the event loop, slow for 16 MB.
        echo_start = time.monotonic()
        assert observer.call("my event", {"data": "mine"}, timeout=30)["ok"] is True
        report("observer's echo right after the 16 MB (ms)", f"{(time.monotonic() - echo_start) * 1000:.0f}")
        assert [name for name, _ in observer.events if name != "presence"] == ["my response", "my response"]
        output = unlimited.output()[before:]
        assert output.count("WARNING") == 1 and error in output, output
        observer.disconnect()
