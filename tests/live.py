"""A python-socketio client that records what it receives, for the suites that talk to a real server."""

import threading
import time

import socketio

from playground.config import NAMESPACE

#: Every event the server can send to a `/test` client.
SERVER_EVENTS = ("my response", "my error", "my pong", "newnumber", "presence", "message", "json")


class LiveClient:
    """A real Socket.IO client on `/test` over one forced transport, keeping every event it gets in order."""

    def __init__(self, url, transport="websocket", headers=None, **client_options):
        """Connect to `url` on `/test` using only `transport` (websocket or polling), sending `headers`."""
        self.events = []
        self._changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False, **client_options)
        for event in SERVER_EVENTS:
            self.sio.on(event, self._recorder(event), namespace=NAMESPACE)
        self.sio.on("disconnect", self._recorder("(disconnect)"), namespace=NAMESPACE)
        self.sio.connect(url, headers=headers or {}, namespaces=[NAMESPACE], transports=[transport], wait_timeout=10)
        self.sid = self.sio.get_sid(NAMESPACE)
        self.wait_for("my response")  # the greeting: from here on the client is fully set up

    def _recorder(self, event):
        """A handler that appends (event, payload) and wakes up waiters."""

        def record(*args):
            with self._changed:
                self.events.append((event, args[0] if args else None))
                self._changed.notify_all()

        return record

    def call(self, event, payload=None, timeout=10):
        """Emit `event` and wait for its ack."""
        args = () if payload is None else (payload,)
        return self.sio.call(event, *args, namespace=NAMESPACE, timeout=timeout)

    def emit(self, event, payload=None):
        """Emit `event` without asking for an ack."""
        self.sio.emit(event, payload, namespace=NAMESPACE)

    def of(self, event):
        """The payloads of `event` received so far, in order."""
        with self._changed:
            return [payload for name, payload in self.events if name == event]

    def wait_for(self, event, count=1, timeout=10):
        """Wait until at least `count` `event`s have arrived; return their payloads."""
        self.wait_until(lambda client: len(client.of(event)) >= count, timeout, f"{count} {event!r}")
        return self.of(event)

    def wait_until(self, condition, timeout=10, what="the condition"):
        """Wait until `condition(self)` holds, waking up on every event received."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{what} did not happen in {timeout}s; received: {self.events}")
                self._changed.wait(remaining)

    def clear(self):
        """Forget what was received so far."""
        with self._changed:
            self.events.clear()

    def disconnect(self):
        """Disconnect cleanly, if still connected.

        python-engineio's polling client drops its goodbye when `disconnect`
        runs while its writer is still posting an earlier packet (the writer
        sees the state change and quits with CLOSE unsent), and the server
        then only notices at the ping timeout, 45 s later. Waiting for the
        send queue to drain first closes that window.
        """
        if self.sio.connected:
            self.sio.eio.queue.join()
            self.sio.disconnect()
