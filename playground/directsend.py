"""A packet for an idle WebSocket client is written by the task that emits it, without waking the client's writer.

Engine.IO hands every packet to the client's queue, and the client's writer
task wakes up, takes it and writes it. For one broadcast to 500 clients
that is 500 queue puts, 500 wake-ups of 500 writer tasks, each starting and
cancelling a timer and raising `Empty` to end its batch: in the profile of
a broadcast sent one at a time, more time than the 500 `send` system calls
themselves (docs/benchmarks.md). When a client's queue is empty and its
writer is waiting on it, nothing is ahead of the new packet, so the
emitting task can write it at once, with a non-blocking write.

`DirectSend.send_packet` stands in for Engine.IO's `Server.send_packet`,
which python-socketio calls for every packet it sends to a client (an
emit to a room or to everyone calls it once per receiver):

- Only a WebSocket connection whose upgrade is complete qualifies, with an
  empty queue and no task writing it (`writer.WriterQueue.waiting`;
  gevent's compiled queue does not show its waiters): nothing taken from
  the queue is still to be written. Everything else (polling, an
  upgrade under way, a busy writer, a queue with packets) goes to the
  queue as before, so packets to one client leave in the order they were
  sent.
- The write goes through the connection's `CoalescingWriter.send_now`:
  frames of the writer's burst still pending go first; what the socket does
  not take at once is finished by a short-lived task, and until it is done
  `send_now` declines, so the next packets queue up for the writer, which
  waits for that task. A client that stops reading therefore still stops
  its writer and its packets still pile up in the queue, where
  `outbox.OutboxMonitor` sees them; the emitting task never waits.
- Engine.IO's ping-timeout check runs first, as in `Socket.send`.
- Engine.IO's writer still sends every ping and everything queued, and its
  queue still times out only when not even a ping came.
"""


class DirectSend:
    """Engine.IO's `send_packet`, writing straight to an idle WebSocket client."""

    def __init__(self, eio, find_websocket):
        """Serve `eio`'s sockets; `find_websocket(sid)` gives the `_WatchedWebSocket` of a session, or None."""
        self._eio = eio
        self._queued_send = eio.send_packet
        self._find_websocket = find_websocket
        #: Packets written at once, and packets handed to the writer's queue.
        self.direct = 0
        self.queued = 0

    def install(self):
        """Take over `send_packet` on this Engine.IO server (this instance only)."""
        self._eio.send_packet = self.send_packet
        return self

    def send_packet(self, sid, pkt):
        """Send Engine.IO packet `pkt` to session `sid`: written now if its writer is idle, else queued."""
        sock = self._eio.sockets.get(sid)
        if (
            sock is not None
            and sock.upgraded
            and not sock.upgrading
            and not sock.closing
            and not sock.closed
            and getattr(sock.queue, "waiting", False)
            and not sock.queue.qsize()
        ):
            websocket = self._find_websocket(sid)
            if websocket is not None:
                if not sock.check_ping_timeout():
                    return  # the client is gone: Engine.IO drops the packet too
                if websocket.writer.send_now(pkt.encode()):
                    self.direct += 1
                    return
        self.queued += 1
        self._queued_send(sid, pkt)
