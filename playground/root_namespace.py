"""The default namespace `/`, written as a class: Flask-SocketIO's other way to declare handlers.

`/test` (in `events`) uses decorators; here each event is a method of one
`flask_socketio.Namespace` subclass, registered with `socketio.on_namespace`.
Both namespaces share one Engine.IO connection when the client multiplexes
them (the JS client does by default), yet each has its own sid and its own
clients: a broadcast here reaches the clients of `/` only. Validation, acks,
`my error`, the rate limit and the error handler are the same as `/test`'s;
the feed and presence stay on `/test`.
"""

import logging
from typing import ClassVar

from flask import current_app, request
from flask_socketio import Namespace, emit

from . import names, socketio, validation
from .config import ROOT_NAMESPACE
from .events import limited, on_handler_error
from .ratelimit import ECHO, FANOUT
from .replies import respond, state
from .validation import BadInput

log = logging.getLogger(__name__)


class RootNamespace(Namespace):
    """The handlers of `/`: connect, disconnect, `my event` (echo) and `my broadcast event`."""

    #: Event name -> method. Flask-SocketIO looks up `on_<event>`, which cannot hold the names' spaces.
    HANDLERS: ClassVar[dict] = {
        "connect": "on_connect",
        "disconnect": "on_disconnect",
        "my event": "on_my_event",
        "my broadcast event": "on_my_broadcast_event",
    }

    def trigger_event(self, event, sid, *args):
        """Run the method `HANDLERS` names for `event`; any other event is answered as unknown, as on `/test`."""
        method = self.HANDLERS.get(event)
        if method is None:
            # As a `"*"` handler is called: the event's name first, request.event["message"] "*".
            return self.socketio._handle_event(self.on_unknown_event, "*", self.namespace, sid, event, *args)
        return self.socketio._handle_event(getattr(self, method), event, self.namespace, sid, *args)

    def on_connect(self, auth=None):
        """Refuse a wrong name (as `/test` does); else greet the new client of `/`."""
        name = names.admit(auth)
        state().root_clients.add(request.sid, name)
        log.info("connect namespace=%s sid=%s addr=%s", self.namespace, request.sid, request.remote_addr)
        emit("my response", {"data": "Connected to /", "count": 0})

    def on_disconnect(self, reason=None):
        """Forget the client (its rate-limit buckets belong to its Engine.IO connection, shared with `/test`)."""
        state().root_clients.remove(request.sid)
        log.info("disconnect namespace=%s sid=%s reason=%s", self.namespace, request.sid, reason)

    @limited(ECHO)
    def on_my_event(self, message):
        """Echo: answer the sender only."""
        return respond(validation.text(message, "data", _max_length()))

    @limited(FANOUT)
    def on_my_broadcast_event(self, message):
        """Broadcast to every client of `/` (clients connected only to `/test` get nothing)."""
        return respond(validation.text(message, "data", _max_length()), broadcast=True)

    @limited(ECHO)
    def on_unknown_event(self, event, *args):
        """Any event outside `/`'s four: tell the sender it is not one."""
        raise BadInput(f"unknown event {event!r}")


def _max_length():
    """The configured limit on message text, in characters."""
    return current_app.config["MAX_MESSAGE_LENGTH"]


socketio.on_namespace(RootNamespace(ROOT_NAMESPACE))
# The same error handler as `/test`: bad input and exceptions end in one log line, `my error` and a failed ack.
socketio.on_error(ROOT_NAMESPACE)(on_handler_error)
