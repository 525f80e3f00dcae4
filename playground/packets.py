"""The Socket.IO packet layer: what python-socketio would dispatch, refused before any handler sees it.

python-socketio hands every event a client sends to the handler of that
name in its namespace, its own connect and disconnect handlers included,
buffers as many binary attachments as a packet announces, and raises (a
traceback in the log) on a packet it cannot make sense of. `PacketGuard`
takes over where python-socketio dispatches (its `_handle_eio_message` and
`_handle_event`): it decodes each packet once, as python-socketio would,
and what it refuses is refused in every namespace, whoever wrote the
handlers:

- an event named after a lifecycle event (`RESERVED_EVENTS`) never runs the
  connect or disconnect handlers: the sender gets `my error` `reserved event
  name` and a failed ack, nobody else sees anything;
- a packet announcing more binary attachments than its event takes
  (`ATTACHMENTS`), or attachments adding up past `MAX_HTTP_BUFFER_SIZE`, is
  refused the same way; the attachments it announced are then dropped one by
  one as they arrive, never kept;
- a packet no Socket.IO client sends (undecodable, an event that is not a
  list starting with its name, a binary packet announcing no attachments, a
  placeholder naming no attachment) closes the connection with one WARNING
  line, as Socket.IO's reference server closes on a parse error;
- when the Engine.IO connection ends, its flood-control buckets go with it
  (they belong to the connection, not to one namespace session; see
  `ratelimit`).

Each refusal is one WARNING line and draws a token from the sender's echo
bucket, so a flood of them is dropped like any other flood.
"""

import logging

from socketio import packet

from .ratelimit import ECHO, RateLimited

log = logging.getLogger(__name__)

#: Event names python-socketio gives to its own lifecycle handlers; a client may not send them.
RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error", "disconnecting"})

#: Binary attachments each client event may carry (the contract's one binary event takes one); others none.
ATTACHMENTS = {"my binary event": 1}

#: What the sender of a reserved name is told.
RESERVED = "reserved event name"

#: What `my error` names as the event of a refused binary ack, which has no event name of its own.
ACK = "(ack)"


#: The packet types a client may send (CONNECT_ERROR comes only from servers).
CLIENT_PACKETS = frozenset(
    {packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK, packet.BINARY_EVENT, packet.BINARY_ACK}
)


def _malformed(pkt):
    """What makes a decoded packet one no Socket.IO client sends, or None when it is well formed."""
    kind = pkt.packet_type
    if kind not in CLIENT_PACKETS:
        return f"packet type {kind!r} is not one a client sends"
    if kind in (packet.EVENT, packet.BINARY_EVENT) and _event_name(pkt.data) is None:
        return "an event must be a list that starts with its name"
    if kind in (packet.ACK, packet.BINARY_ACK) and (pkt.id is None or not isinstance(pkt.data, list)):
        return "an ack must carry an id and a list"
    if kind in (packet.BINARY_EVENT, packet.BINARY_ACK) and pkt.attachment_count < 1:
        return "a binary packet must announce its attachments"
    return None


def _event_name(data):
    """The event name of a decoded EVENT packet's data, or None when there is none."""
    if isinstance(data, list) and data and isinstance(data[0], str):
        return data[0]
    return None


class PacketGuard:
    """Decodes and dispatches every packet a client sends, refusing what no handler should see; see the module."""

    def __init__(self, server, max_attachment_bytes, limiter):
        """Guard `server` (a `socketio.Server`), allowing `max_attachment_bytes` of attachments per packet."""
        self.server = server
        self.max_attachment_bytes = max_attachment_bytes
        self.limiter = limiter
        self._dropping = {}  # eio_sid -> attachments of a refused packet still to come
        self._buffered = {}  # eio_sid -> bytes of attachments held for its pending binary packet
        self._closing = set()  # connections closed for a malformed packet: nothing more is read
        self._dispatch_event = server._handle_event
        self._end_connection = server._handle_eio_disconnect

    def install(self):
        """Put the guard in front of the server's dispatch; Engine.IO's handlers are re-registered to reach it."""
        server = self.server
        # Instance attributes: python-socketio calls these through `self`, and so do the
        # test client (`_handle_eio_message`) and the Admin UI (`_handle_eio_disconnect`).
        server._handle_eio_message = self.handle_eio_message
        server._handle_event = self.handle_event
        server._handle_eio_disconnect = self.handle_eio_disconnect
        # Engine.IO holds the bound methods it was given at construction.
        server.eio.on("message", self.handle_eio_message)
        if server.eio.handlers.get("disconnect") == self._end_connection:
            server.eio.on("disconnect", self.handle_eio_disconnect)
        return self

    def handle_eio_message(self, eio_sid, data):
        """One Engine.IO message: an attachment, or a packet to decode, check and dispatch."""
        if eio_sid in self._closing:
            return
        if eio_sid in self._dropping:
            self._drop_one(eio_sid)
        elif eio_sid in self.server._binary_packet:
            self._attachment(eio_sid, data)
        else:
            try:
                pkt = self.server.packet_class(encoded_packet=data)
            except (TypeError, ValueError) as exc:
                self._close(eio_sid, f"undecodable packet ({exc})")
                return
            problem = _malformed(pkt)
            if problem:
                self._close(eio_sid, problem)
            else:
                self._dispatch(eio_sid, pkt)

    def handle_event(self, eio_sid, namespace, id, data):
        """An event about to reach its handler: a reserved name is refused, anything else dispatched."""
        # The default namespace travels as no namespace at all ("42[...]"), as python-socketio reads it.
        namespace = namespace or "/"
        event = _event_name(data)
        if event in RESERVED_EVENTS and self._sid(eio_sid, namespace):
            self._refuse(eio_sid, namespace, id, event, RESERVED)
            return
        self._dispatch_event(eio_sid, namespace, id, data)

    def handle_eio_disconnect(self, eio_sid, reason):
        """The Engine.IO connection ended: python-socketio first, then forget its buckets and leftovers."""
        try:
            return self._end_connection(eio_sid, reason)
        finally:
            self.limiter.forget(eio_sid)
            self._dropping.pop(eio_sid, None)
            self._buffered.pop(eio_sid, None)
            self._closing.discard(eio_sid)

    def _dispatch(self, eio_sid, pkt):
        """What python-socketio's `_handle_eio_message` does with a decoded packet, binary headers checked first."""
        server, kind, namespace = self.server, pkt.packet_type, pkt.namespace
        if kind == packet.CONNECT:
            server._handle_connect(eio_sid, namespace, pkt.data)
        elif kind == packet.DISCONNECT:
            server._handle_disconnect(eio_sid, namespace, server.reason.CLIENT_DISCONNECT)
        elif kind == packet.EVENT:
            server._handle_event(eio_sid, namespace, pkt.id, pkt.data)
        elif kind == packet.ACK:
            server._handle_ack(eio_sid, namespace, pkt.id, pkt.data)
        elif not self._sid(eio_sid, namespace or "/"):
            self._close(eio_sid, "a binary packet outside a connected namespace")
        elif not self._refused_binary(eio_sid, pkt):
            server._binary_packet[eio_sid] = pkt  # its attachments come next
            self._buffered.pop(eio_sid, None)  # a count left by a packet python-socketio dropped on a disconnect

    def _refused_binary(self, eio_sid, header):
        """Refuse a binary packet whose header breaks the contract, before any attachment arrives; True if so."""
        count, ack_id = header.attachment_count, header.id
        if header.packet_type == packet.BINARY_ACK:
            # Its id is the server's own call's, which is left unanswered, not acknowledged back.
            event, error, ack_id = ACK, f"acks take no binary attachments, got {count}", None
        else:
            event = _event_name(header.data)
            allowed = ATTACHMENTS.get(event, 0)
            if event in RESERVED_EVENTS:
                error = RESERVED
            elif count > allowed:
                error = f"this event takes at most {allowed} binary attachments, got {count}"
            else:
                return False
        self._refuse(eio_sid, header.namespace or "/", ack_id, event, error)
        self._dropping[eio_sid] = count
        return True

    def _attachment(self, eio_sid, data):
        """One attachment of the pending binary event: kept while the total stays within the limit."""
        pending = self.server._binary_packet[eio_sid]  # always an event: binary acks are refused at their header
        total = self._buffered.get(eio_sid, 0) + len(data)
        if total > self.max_attachment_bytes:
            del self.server._binary_packet[eio_sid]
            self._buffered.pop(eio_sid, None)
            error = f"binary attachments add up to more than {self.max_attachment_bytes} bytes"
            self._refuse(eio_sid, pending.namespace or "/", pending.id, _event_name(pending.data), error)
            still_to_come = pending.attachment_count - len(pending.attachments) - 1
            if still_to_come:
                self._dropping[eio_sid] = still_to_come
            return
        pending.attachments.append(data)
        if len(pending.attachments) < pending.attachment_count:
            self._buffered[eio_sid] = total
            return
        del self.server._binary_packet[eio_sid]
        self._buffered.pop(eio_sid, None)
        try:
            event = pending.reconstruct_binary(pending.data, pending.attachments)
        except (IndexError, TypeError):
            self._close(eio_sid, "a binary placeholder that names no attachment")
            return
        self.server._handle_event(eio_sid, pending.namespace, pending.id, event)

    def _drop_one(self, eio_sid):
        """Count off one attachment of a refused packet without keeping it."""
        left = self._dropping[eio_sid] - 1
        if left:
            self._dropping[eio_sid] = left
        else:
            del self._dropping[eio_sid]

    def _sid(self, eio_sid, namespace):
        """The sender's sid in `namespace`, or None if it is not connected there."""
        sid = self.server.manager.sid_from_eio_sid(eio_sid, namespace)
        return sid if sid is not None and self.server.manager.is_connected(sid, namespace) else None

    def _refuse(self, eio_sid, namespace, ack_id, event, error):
        """Tell the sender alone: `my error` and a failed ack, one WARNING line; rate limited like any event."""
        sid = self._sid(eio_sid, namespace)
        try:
            self.limiter.check(eio_sid, ECHO)
        except RateLimited as exc:
            error = "rate limited"
            if exc.notify:
                log.warning("rate limited event=%r sid=%s: dropping events until its bucket refills", event, sid)
                self._send(eio_sid, namespace, ["my error", {"event": event, "error": error}])
        else:
            log.warning("bad input event=%r sid=%s: %s", event, sid, error)
            self._send(eio_sid, namespace, ["my error", {"event": event, "error": error}])
        if ack_id is not None:
            self._send(eio_sid, namespace, [{"ok": False, "error": error}], ack_id=ack_id)

    def _send(self, eio_sid, namespace, data, ack_id=None):
        """Send one EVENT packet (or the ACK of `ack_id`) to this Engine.IO connection only."""
        kind = packet.EVENT if ack_id is None else packet.ACK
        self.server._send_packet(eio_sid, self.server.packet_class(kind, data=data, namespace=namespace, id=ack_id))

    def _close(self, eio_sid, problem):
        """A packet no Socket.IO client sends: one WARNING line, then the connection closes."""
        addr = self.server.environ.get(eio_sid, {}).get("REMOTE_ADDR")
        log.warning("malformed packet addr=%s eio_sid=%s: %s; closing the connection", addr, eio_sid, problem)
        self._closing.add(eio_sid)
        self.server._binary_packet.pop(eio_sid, None)
        self._buffered.pop(eio_sid, None)
        self._dropping.pop(eio_sid, None)
        # From a task of its own: closing waits until the client has taken its queued packets,
        # which the request that carried this packet (a polling POST) must not wait for.
        self.server.start_background_task(self.server.eio.disconnect, eio_sid)
