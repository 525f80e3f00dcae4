"""The packet layer (`playground.packets`) on its own: a bare python-socketio server, any namespace."""

import json
import types

import pytest
import socketio

from playground import packets
from playground.packets import PacketGuard
from playground.ratelimit import RateLimiter

OTHER = "/other"
PLACEHOLDER = {"_placeholder": True, "num": 0}


class Server:
    """A python-socketio server nobody serves: the test feeds it Engine.IO messages and reads what it sends."""

    def __init__(self, max_attachment_bytes=1000, rate=20, admin=None):
        """Guard a fresh server whose `/other` namespace records every handler call.

        `admin` ("before" or "after" the guard) also instruments it for the
        Admin UI, as `instrument()` does in production.
        """
        # Handlers in the reading thread, as the app runs them: every call is over when a message returns.
        self.sio = socketio.Server(async_mode="threading", async_handlers=False)
        self.calls = []
        self.sent = []
        for event in ("connect", "disconnect", "my binary event", "my event"):
            self.sio.on(event, self._recorder(event), namespace=OTHER)
        self.sio._send_packet = lambda eio_sid, pkt: self.sent.append((eio_sid, pkt.encode()))
        self.sio._send_eio_packet = lambda eio_sid, eio_pkt: self.sent.append((eio_sid, eio_pkt.data))
        self.limiter = RateLimiter(rate, rate)
        self.admin = self.sio.instrument(auth=False) if admin == "before" else None
        self.guard = PacketGuard(self.sio, max_attachment_bytes, self.limiter).install()
        if admin == "after":
            self.admin = self.sio.instrument(auth=False)

    def _recorder(self, event):
        """A handler that records (event, args) and acknowledges with "handled"."""

        def record(sid, *args):
            self.calls.append((event, args))
            return "handled"

        return record

    def join(self, eio_sid, namespace=OTHER):
        """Open an Engine.IO connection and connect it to `namespace`, as a client's first two messages would."""
        # What the Admin UI asks of Engine.IO's socket; nothing else looks at it here.
        self.sio.eio.sockets[eio_sid] = types.SimpleNamespace(upgraded=True, closed=False)
        self.sio.eio.handlers["connect"](eio_sid, {})
        self.message(eio_sid, f"0{namespace},")
        self.calls.clear()
        self.sent.clear()

    def message(self, eio_sid, data):
        """Deliver one Engine.IO message the way Engine.IO does: through the handler it holds."""
        self.sio.eio.handlers["message"](eio_sid, data)

    def end(self, eio_sid):
        """End the Engine.IO connection the way Engine.IO does."""
        self.sio.eio.handlers["disconnect"](eio_sid, "transport close")


@pytest.fixture
def server():
    """A guarded server with one client, `e1`, connected to `/other`."""
    server = Server()
    server.join("e1")
    return server


def refusal(event, error, ack_id=None):
    """What a refused event sends its sender: `my error`, then the failed ack if it asked for one."""
    sent = [("e1", f"2{OTHER}," + json.dumps(["my error", {"event": event, "error": error}], separators=(",", ":")))]
    if ack_id is not None:
        sent.append(("e1", f"3{OTHER},{ack_id}" + json.dumps([{"ok": False, "error": error}], separators=(",", ":"))))
    return sent


@pytest.mark.parametrize("name", sorted(packets.RESERVED_EVENTS))
def test_reserved_names_never_reach_a_handler_in_any_namespace(server, name, caplog):
    """`disconnect` (and the others) sent as events: refused to the sender, the lifecycle handlers never run."""
    server.message("e1", f"2{OTHER},7" + json.dumps([name, {"data": "x"}]))
    assert server.calls == []
    assert server.sent == refusal(name, "reserved event name", ack_id=7)
    assert [r.getMessage() for r in caplog.records] == [
        f"bad input event={name!r} sid={server.sio.manager.sid_from_eio_sid('e1', OTHER)}: reserved event name"
    ]
    # The connection is untouched: its next event is handled as usual.
    server.message("e1", f"2{OTHER},8" + json.dumps(["my event", {"data": "x"}]))
    assert server.calls == [("my event", ({"data": "x"},))]


def test_refusals_draw_on_the_connections_bucket():
    """A flood of reserved names is dropped like any flood: one notice, then failed acks only."""
    server = Server(rate=1)
    server.join("e1")
    for ack_id in range(5):
        server.message("e1", f"2{OTHER},{ack_id}" + json.dumps(["connect"]))
    errors = [data for _, data in server.sent if '"my error"' in data]
    assert len(errors) == 3 and '"rate limited"' in errors[-1]  # burst of 2, then one notice
    assert server.sent[-1] == ("e1", f'3{OTHER},4[{{"ok":false,"error":"rate limited"}}]')


def test_the_guard_sits_where_engineio_dispatches(server):
    """Engine.IO's handlers, which it bound at construction, lead to the guard, not around it."""
    assert server.sio.eio.handlers["message"] == server.guard.handle_eio_message
    assert server.sio.eio.handlers["disconnect"] == server.guard.handle_eio_disconnect
    assert server.sio._handle_event == server.guard.handle_event


def test_one_attachment_on_the_binary_event_is_delivered(server):
    """The declared binary event with its one attachment reaches its handler whole."""
    server.message("e1", f"51-{OTHER},3" + json.dumps(["my binary event", PLACEHOLDER]))
    assert server.calls == []
    server.message("e1", b"\x00\x01")
    assert server.calls == [("my binary event", (b"\x00\x01",))]
    assert server.sio._binary_packet == {} and server.guard._buffered == {}


@pytest.mark.parametrize(
    ("header", "event", "error"),
    [
        (f"52-{OTHER},3" + json.dumps(["my binary event", PLACEHOLDER, PLACEHOLDER]), "my binary event", "1"),
        (f"51000-{OTHER},3" + json.dumps(["my event", PLACEHOLDER]), "my event", "0"),
    ],
)
def test_too_many_attachments_are_refused_and_dropped_unread(server, header, event, error):
    """More attachments than the event takes: refused at the header, its attachments counted off, not kept."""
    count = int(header[1 : header.index("-")])
    server.message("e1", header)
    assert server.sent == refusal(event, f"this event takes at most {error} binary attachments, got {count}", 3)
    assert server.sio._binary_packet == {}
    for _ in range(count):
        server.message("e1", b"x" * 100)
    assert server.calls == [] and server.sio._binary_packet == {} and server.guard._dropping == {}
    # Once they are all counted off, the next packet is an event again.
    server.message("e1", f"2{OTHER}," + json.dumps(["my event", {"data": "after"}]))
    assert server.calls == [("my event", ({"data": "after"},))]


def test_binary_acks_and_reserved_binary_events_are_refused(server):
    """No binary ack is expected from a client; a reserved name with an attachment is still a reserved name."""
    server.message("e1", f"61-{OTHER},4" + json.dumps([PLACEHOLDER]))
    assert server.sent == refusal(packets.ACK, "acks take no binary attachments, got 1")
    server.message("e1", b"dropped")
    server.sent.clear()
    server.message("e1", f"51-{OTHER},5" + json.dumps(["disconnect", PLACEHOLDER]))
    assert server.sent == refusal("disconnect", "reserved event name", 5)
    server.message("e1", b"dropped")
    assert server.calls == [] and server.sio._binary_packet == {}


def test_attachments_adding_up_past_the_limit_are_refused(server, monkeypatch):
    """Attachments are counted as they arrive; the one that passes the limit ends the packet, the rest dropped."""
    monkeypatch.setitem(packets.ATTACHMENTS, "my binary event", 3)
    header = f"53-{OTHER},6" + json.dumps(["my binary event", PLACEHOLDER, PLACEHOLDER, PLACEHOLDER])
    server.message("e1", header)
    server.message("e1", b"a" * 600)
    assert server.sent == []
    server.message("e1", b"b" * 600)  # 1,200 bytes > 1,000
    assert server.sent == refusal("my binary event", "binary attachments add up to more than 1000 bytes", 6)
    assert server.sio._binary_packet == {} and server.guard._dropping == {"e1": 1}
    server.message("e1", b"c" * 600)
    assert server.calls == [] and server.guard._dropping == {} and server.guard._buffered == {}


def test_the_connections_end_forgets_its_buckets_and_leftovers(server):
    """Buckets live as long as the Engine.IO connection, whatever happens to its namespace sessions."""
    server.message("e1", f"2{OTHER}," + json.dumps(["connect"]))
    assert len(server.limiter) == 1
    server.message("e1", f"1{OTHER},")  # leaves the namespace: the buckets stay
    server.message("e1", f"0{OTHER},")
    assert len(server.limiter) == 1
    server.message("e1", f"51000-{OTHER}," + json.dumps(["my event", PLACEHOLDER]))
    assert server.guard._dropping == {"e1": 1000}
    server.end("e1")
    assert len(server.limiter) == 0 and server.guard._dropping == {}
    assert [call for call in server.calls if call[0] == "disconnect"] == [
        ("disconnect", ("client disconnect",)),
        ("disconnect", ("transport close",)),
    ]


@pytest.fixture
def closed(server, monkeypatch):
    """The Engine.IO connections the guard closes, recorded instead of closed (and at once, not from a task)."""
    closing = []
    monkeypatch.setattr(server.sio.eio, "disconnect", closing.append)
    monkeypatch.setattr(server.sio, "start_background_task", lambda task, *args: task(*args))
    return closing


@pytest.mark.parametrize(
    "message",
    [
        "",
        "9",
        f"4{OTHER},",
        f"2{OTHER},",
        f"2{OTHER},[]",
        f"2{OTHER},{{}}",
        f'2{OTHER},"my event"',
        f"2{OTHER},[1]",
        f"2{OTHER},[",
        f'2{OTHER},{"9" * 101}["my event"]',
        f"3{OTHER},[]",
        f"3{OTHER},5{{}}",
        f"5{OTHER}," + json.dumps(["my binary event"]),
        "51-/nowhere," + json.dumps(["my binary event", PLACEHOLDER]),
        b"\xff\x00",
    ],
)
def test_a_malformed_packet_closes_the_connection_with_one_line(server, closed, message, caplog):
    """What python-socketio would raise on (a traceback per packet) or choke on: one WARNING line, then closed."""
    server.message("e1", message)
    assert closed == ["e1"] and server.calls == [] and server.sent == []
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("malformed packet addr=None eio_sid=e1: ") and line.endswith("; closing the connection")
    # Whatever else arrived in the same request is not read.
    server.message("e1", f"2{OTHER}," + json.dumps(["my event", {"data": "x"}]))
    assert server.calls == [] and len(caplog.records) == 1


def test_a_placeholder_naming_no_attachment_closes_the_connection(server, closed, caplog):
    """python-socketio would raise an IndexError when the packet completes; the guard closes instead."""
    server.message("e1", f"51-{OTHER}," + json.dumps(["my binary event", {"_placeholder": True, "num": 3}]))
    server.message("e1", b"x")
    assert closed == ["e1"] and server.calls == [] and server.sio._binary_packet == {}
    assert "a binary placeholder that names no attachment" in caplog.records[0].getMessage()


@pytest.fixture(params=["before", "after"])
def admin_server(request):
    """A guarded server also instrumented for the Admin UI (before or after the guard), un-instrumented after."""
    server = Server(admin=request.param)
    yield server
    server.admin.uninstrument()  # instrument() patches Engine.IO's classes for the whole process


def test_the_admin_ui_sees_real_connections_and_no_fake_ones(admin_server):
    """python-socketio's own `/admin` handlers keep working; a reserved name shows them no fake disconnect."""
    admin_server.join("a1", "/admin")
    admin_server.join("e1")
    sid = admin_server.sio.manager.sid_from_eio_sid("e1", OTHER)

    def seen(event):
        """How many `event`s about e1 the Admin UI client was sent."""
        return sum(1 for eio_sid, data in admin_server.sent if eio_sid == "a1" and event in data and sid in data)

    admin_server.sent.clear()
    admin_server.message("e1", f"2{OTHER},1" + json.dumps(["disconnect"]))
    assert seen("socket_disconnected") == 0 and admin_server.calls == []
    admin_server.end("e1")
    assert seen("socket_disconnected") == 1 and len(admin_server.limiter) == 0
    raw_events = [entry["type"] for entry in admin_server.admin.event_buffer.buffer.values()]
    assert "rawDisconnection" in raw_events  # the Admin UI's own Engine.IO handler still ran
    assert admin_server.calls == [("disconnect", ("transport close",))]
