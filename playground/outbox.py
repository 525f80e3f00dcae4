"""Clients that stop reading: what the server queues for one client, bounded.

`OutboxMonitor` looks at every connection's outgoing queue a few times a
second and disconnects the client that stopped reading: more than
`MAX_QUEUED_PACKETS` waiting and not one sent for `STALL_TIMEOUT` seconds
(or ten times that many, read or not: it cannot keep up). Under gevent a
WebSocket write blocks only that client's writer task, so a client that
never reads stalls nobody else: its queue just grows. That queue is what
the cap bounds. A size alone would not do: a burst of broadcasts queues
thousands of packets for every healthy client too, and their writers wait
until the burst's handlers have all run, which on a busy machine takes a
second or two. `transport.TransportGuard` runs it.
"""

import logging
import time

log = logging.getLogger(__name__)

#: Seconds between two looks at the outgoing queues; the cap may be overshot by what arrives in between.
MONITOR_INTERVAL = 0.25

#: Seconds without a packet sent, over `MAX_QUEUED_PACKETS`, that make a client one that stopped reading.
STALL_TIMEOUT = 5.0

#: Past this many times `MAX_QUEUED_PACKETS`, a client is disconnected even if it still reads.
HARD_LIMIT_FACTOR = 10


class OutboxMonitor:
    """Disconnects any client with more than `limit` packets waiting for it and none sent since the last look."""

    def __init__(self, socketio, limit, find_websocket):
        """Watch `socketio`'s Engine.IO sockets; `find_websocket(sid)` returns a WebSocket to abort, or None."""
        self.socketio = socketio
        self.limit = limit
        self.find_websocket = find_websocket
        # The first packet in each long queue, and since when it is first: nothing was sent meanwhile.
        self._heads = {}

    def run(self):
        """Look at every queue each `MONITOR_INTERVAL` seconds, for as long as the process lives."""
        while True:
            self.socketio.sleep(MONITOR_INTERVAL)
            try:
                self.check()
            except Exception as exc:
                log.error("outbox monitor failed: %s: %s", type(exc).__name__, exc)

    def check(self):
        """Disconnect every client over the limit now; return their Engine.IO sids."""
        eio = self.socketio.server.eio
        now = time.monotonic()
        heads, over = {}, []
        for sock in list(eio.sockets.values()):
            queued = sock.queue.qsize()
            if sock.closed or queued <= self.limit:
                continue
            head = sock.queue.peek_nowait()
            previous, since = self._heads.get(sock.sid, (None, now))
            heads[sock.sid] = (head, since if previous is head else now)
            if now - heads[sock.sid][1] >= STALL_TIMEOUT or queued > HARD_LIMIT_FACTOR * self.limit:
                over.append(sock)
        self._heads = heads
        for sock in over:
            log.warning(
                "disconnecting eio_sid=%s: %d packets queued for a client that does not read (MAX_QUEUED_PACKETS=%d)",
                sock.sid,
                sock.queue.qsize(),
                self.limit,
            )
            # Not `eio.disconnect`, which waits for the queue to drain: it never would.
            sock.close(wait=False, abort=True, reason=eio.reason.SERVER_DISCONNECT)
            websocket = self.find_websocket(sock.sid)
            if websocket is not None:
                websocket.abort()
        return [sock.sid for sock in over]
