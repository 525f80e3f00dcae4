"""Engine.IO's pings from a timer each, instead of a task per client that sleeps between them.

After every pong Engine.IO starts a background task, `Socket._send_ping`,
that sleeps `ping_interval` seconds (25 by default) and then queues a PING.
So every connected client holds, besides its reader and its writer, a
third task that spends its whole life asleep: a greenlet with its saved
stack and its own frame stack, about 4 KiB of a client's memory
(docs/benchmarks.md). `PingTimers` starts a timer of the event loop
instead, which costs a watcher of a few dozen bytes; when it fires, a
short-lived task sends the PING exactly as `_send_ping` does after its
sleep, and Engine.IO's pong handling is unchanged.

Only Engine.IO's own `_send_ping` is replaced. When something else has
patched it (python-socketio's Admin UI does, to report each client on
every ping), or for any other background task, Engine.IO's
`start_background_task` runs as before.
"""

import time

import gevent
from engineio import packet
from engineio.socket import Socket

#: Engine.IO's own ping task, as it was when this module was imported.
_SEND_PING = Socket.__dict__["_send_ping"]


class PingTimers:
    """Engine.IO's `start_background_task`, with the ping task replaced by a timer."""

    def __init__(self, eio):
        """Serve `eio`, an Engine.IO server in gevent mode."""
        self._eio = eio
        self._start_task = eio.start_background_task
        #: Pings scheduled on a timer.
        self.timers = 0

    def install(self):
        """Take over `start_background_task` on this Engine.IO server (this instance only)."""
        self._eio.start_background_task = self.start_background_task
        return self

    def start_background_task(self, target, *args, **kwargs):
        """Start `target` as Engine.IO would, unless it is a client's ping task: then a timer."""
        if getattr(target, "__func__", None) is not _SEND_PING or args or kwargs:
            return self._start_task(target, *args, **kwargs)
        timer = gevent.get_hub().loop.timer(self._eio.ping_interval)
        # Runs in the event loop, which must not wait: the ping is sent by a task of its own.
        timer.start(gevent.spawn, self._ping, target.__self__)
        self.timers += 1
        return timer

    @staticmethod
    def _ping(sock):
        """What `Socket._send_ping` does once its sleep is over: a PING, unless the client is leaving."""
        if not sock.closing and not sock.closed:
            sock.last_ping = time.time()
            sock.send(packet.Packet(packet.PING))
