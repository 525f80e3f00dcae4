"""A python-socketio client that records what it receives, for the suites that talk to a real server."""

import threading
import time

import socketio

from playground.config import NAMESPACE, ROOT_NAMESPACE

#: Every event the server can send to a `/test` client.
SERVER_EVENTS = (
    "my response",
    "my error",
    "my pong",
    "newnumber",
    "presence",
    "message",
    "json",
    "my binary response",
)
#: What `/` sends; recorded as "/:<event>".
ROOT_EVENTS = ("my response", "my error")


class _Client(socketio.Client):
    """python-socketio's client, except that it can leave the server's ack requests for some events unanswered.

    The library acks every event that asks for one, with the handler's
    return value or with nothing; a client that stays silent needs this.
    """

    unanswered = ()

    def _handle_event(self, namespace, id, data):
        """Handle the event as usual, without sending its ack when its name is in `unanswered`."""
        super()._handle_event(namespace, None if data and data[0] in self.unanswered else id, data)


class LiveClient:
    """A real Socket.IO client on `/test` over one forced transport, keeping every event it gets in order."""

    def __init__(self, url, transport="websocket", headers=None, auth=None, root=False, answer=None, **client_options):
        """Connect to `url` on `/test` (and `/` too with `root`) using only `transport`, sending `headers` and `auth`.

        `answer(question)` is what the client answers the server's `are you there`; without it the
        question is recorded and left unanswered.
        """
        self.events = []
        self._changed = threading.Condition()
        self.sio = _Client(reconnection=False, **client_options)
        for event in SERVER_EVENTS:
            self.sio.on(event, self._recorder(event), namespace=NAMESPACE)
        for event in ROOT_EVENTS:
            self.sio.on(event, self._recorder(f"/:{event}"), namespace=ROOT_NAMESPACE)
        self.sio.on("disconnect", self._recorder("(disconnect)"), namespace=NAMESPACE)
        self.sio.on("are you there", self._recorder("are you there", answer), namespace=NAMESPACE)
        if answer is None:
            self.sio.unanswered = ("are you there",)
        namespaces = [NAMESPACE, ROOT_NAMESPACE] if root else [NAMESPACE]
        self.sio.connect(
            url, headers=headers or {}, auth=auth, namespaces=namespaces, transports=[transport], wait_timeout=10
        )
        self.sid = self.sio.get_sid(NAMESPACE)
        self.wait_for("my response")  # the greeting: from here on the client is fully set up
        if root:
            self.root_sid = self.sio.get_sid(ROOT_NAMESPACE)
            self.wait_for("/:my response")

    def _recorder(self, event, reply=None):
        """A handler that appends (event, payload), wakes up waiters, and returns `reply(payload)` as its ack."""

        def record(*args):
            payload = args[0] if args else None
            with self._changed:
                self.events.append((event, payload))
                self._changed.notify_all()
            return reply(payload) if reply else None

        return record

    def call(self, event, payload=None, timeout=10, namespace=NAMESPACE):
        """Emit `event` and wait for its ack."""
        args = () if payload is None else (payload,)
        return self.sio.call(event, *args, namespace=namespace, timeout=timeout)

    def emit(self, event, payload=None, namespace=NAMESPACE):
        """Emit `event` without asking for an ack."""
        self.sio.emit(event, payload, namespace=namespace)

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

    def shutdown(self):
        """Disconnect cleanly as above, and stop any reconnection under way too."""
        if self.sio.connected:
            self.sio.eio.queue.join()
        self.sio.shutdown()
