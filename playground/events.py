"""Socket.IO event handlers of the `/test` namespace: the contract in the README, one handler per event.

Each handler validates its payload first (see `validation`), answers, and
returns the acknowledgement the client gets when it asked for one. Bad input
and unexpected exceptions both end in `on_handler_error`, so no handler needs
its own try/except.
"""

import functools
import logging

from flask import current_app, request
from flask_socketio import close_room, emit, join_room, leave_room, rooms, send

from . import names, socketio, validation
from .config import NAMESPACE
from .ratelimit import ECHO, FANOUT, RateLimited
from .replies import respond as _respond
from .replies import state as _state
from .validation import BadInput

log = logging.getLogger(__name__)


def _max_length():
    """The configured limit on message text, in characters."""
    return current_app.config["MAX_MESSAGE_LENGTH"]


def _room_list():
    """The rooms the sender is in, without the private room named after its own sid."""
    return sorted(room for room in rooms() if room != request.sid)


def _shared_room(message):
    """The room `join`, `leave` or `close room` names, refused if it is a client's own (see validation)."""
    return validation.shared_room(message, lambda room: socketio.server.manager.is_sid_room(request.namespace, room))


def _announce_presence(event, sid, name, **emit_options):
    """Tell clients how many are connected after `sid` (called `name`) connected or disconnected."""
    # Across every instance when there is a message queue (one Redis round trip per connect/disconnect).
    payload = {"event": event, "sid": sid, "name": name, "clients": _state().presence.changed()}
    if payload["clients"] <= current_app.config["PRESENCE_MAX_CLIENTS"]:
        socketio.emit("presence", payload, namespace=NAMESPACE, **emit_options)


def limited(kind):
    """Make a handler draw one token from the sender's `kind` bucket first (see `ratelimit`).

    The check comes before validation, so that a flood of bad input is
    dropped too rather than logged line by line.
    """

    def decorate(handler):
        @functools.wraps(handler)
        def guarded(*args):
            return _call_within_limit(kind, handler, args)

        return guarded

    return decorate


def _call_within_limit(kind, handler, args):
    """Take a token from the sender's `kind` bucket (or raise `RateLimited`), then run the handler."""
    limiter = _state().limiter
    if limiter.enabled:  # else not even the sender's connection is looked up
        limiter.check(_connection(), kind)
    return handler(*args)


def _connection():
    """The sender's Engine.IO connection: its buckets, so leaving and re-joining a namespace refills nothing."""
    return socketio.server.manager.eio_sid_from_sid(request.sid, request.namespace) or request.sid


def _transport(sid):
    """The transport (`websocket` or `polling`) that `sid` is on right now."""
    server = socketio.server
    try:
        return server.eio.transport(server.manager.eio_sid_from_sid(sid, NAMESPACE))
    except KeyError:
        return "unknown"


@socketio.on("connect", namespace=NAMESPACE)
def connect(auth=None):
    """Refuse a wrong name; else greet the new client, start the feed if it is the first, and tell everyone."""
    name = names.admit(auth)
    state = _state()
    state.clients.add(request.sid, name)
    state.feed.start_once()
    log.info(
        "connect sid=%s addr=%s transport=%s",
        request.sid,
        request.remote_addr,
        _transport(request.sid),
    )
    emit("my response", {"data": "Connected", "count": 0})
    _announce_presence("connect", request.sid, name)


@socketio.on("disconnect", namespace=NAMESPACE)
def disconnect(reason=None):
    """Log why the client left and tell the ones that remain."""
    name = _state().clients.name(request.sid)
    _state().clients.remove(request.sid)
    log.info("disconnect sid=%s reason=%s", request.sid, reason)
    _announce_presence("disconnect", request.sid, name, skip_sid=request.sid)


@socketio.on("my event", namespace=NAMESPACE)
@limited(ECHO)
def my_event(message):
    """Echo: answer the sender only."""
    data = validation.text(message, "data", _max_length())
    return _respond(data)


@socketio.on("my broadcast event", namespace=NAMESPACE)
@limited(FANOUT)
def my_broadcast_event(message):
    """Broadcast: answer every client of the namespace, the sender too unless `include_self` is false."""
    data = validation.text(message, "data", _max_length())
    include_self = validation.flag(message, "include_self", default=True)
    return _respond(data, broadcast=True, include_self=include_self)


@socketio.on("join", namespace=NAMESPACE)
@limited(ECHO)
def join(message):
    """Join a room and tell the sender which rooms it is in now."""
    join_room(_shared_room(message))
    current = _room_list()
    return {**_respond("In rooms: " + ", ".join(current)), "rooms": current}


@socketio.on("leave", namespace=NAMESPACE)
@limited(ECHO)
def leave(message):
    """Leave a room and tell the sender which rooms it is in now."""
    leave_room(_shared_room(message))
    current = _room_list()
    return {**_respond("In rooms: " + ", ".join(current) if current else "In no room"), "rooms": current}


@socketio.on("close room", namespace=NAMESPACE)
@limited(FANOUT)
def on_close_room(message):
    """Warn the room's members, then close the room (everyone leaves it)."""
    room = _shared_room(message)
    ack = _respond(f"Room {room} is closing.", to=room)
    close_room(room)
    return ack


@socketio.on("my room event", namespace=NAMESPACE)
@limited(FANOUT)
def my_room_event(message):
    """Send the data to every member of the room; the sender gets it only if it is one."""
    room = validation.room(message)
    data = validation.text(message, "data", _max_length())
    return _respond(data, to=room)


@socketio.on("disconnect request", namespace=NAMESPACE)
@limited(ECHO)
def disconnect_request(message=None):
    """Say goodbye, then disconnect the sender from the server side."""
    validation.nothing(message)
    ack = _respond("Disconnected!")
    # Disconnect from a new task, so this handler's ack is queued before
    # the disconnect packet and a client that asked for one gets it.
    socketio.start_background_task(socketio.server.disconnect, request.sid, namespace=NAMESPACE)
    return ack


@socketio.on("my ping", namespace=NAMESPACE)
@limited(ECHO)
def my_ping(message=None):
    """Answer at once, so the page can time the round trip."""
    validation.nothing(message)
    emit("my pong")
    return {"ok": True}


@socketio.on("message", namespace=NAMESPACE)
@limited(ECHO)
def message(text):
    """`socket.send(text)`: send the text back to the sender with `send()`."""
    send(validation.plain_text(text, _max_length()))
    return {"ok": True}


@socketio.on("json", namespace=NAMESPACE)
@limited(ECHO)
def json(obj):
    """`socket.send(object)`: send the object back with `send(..., json=True)`."""
    send(validation.json_object(obj, _max_length()), json=True)
    return {"ok": True}


@socketio.on("*", namespace=NAMESPACE)
@limited(ECHO)
def unknown_event(event, *args):
    """Any event outside the contract: tell the sender it is not one, rather than stay silent."""
    raise BadInput(f"unknown event {event!r}")


def _never_entered(exc):
    """Whether `exc` is the TypeError of calling a handler with the wrong number of arguments.

    Such an error is raised by the call itself, before the handler's own
    first line runs: its innermost frame is the caller's, Flask-SocketIO's
    or `_call_within_limit`'s.
    """
    if not isinstance(exc, TypeError) or exc.__traceback__ is None:
        return False
    innermost = exc.__traceback__
    while innermost.tb_next is not None:
        innermost = innermost.tb_next
    return innermost is exc.__traceback__ or innermost.tb_frame.f_code is _call_within_limit.__code__


@socketio.on_error(NAMESPACE)
def on_handler_error(exc):
    """Turn any handler's exception into one log line, a `my error` to the sender and a failed ack."""
    event = request.event["message"]
    if event == "*" and request.event["args"]:
        event = request.event["args"][0]
    if isinstance(exc, RateLimited):
        # Dropped without a line per event: a flood must not flood the log too.
        if exc.notify:
            log.warning("rate limited event=%r sid=%s: dropping events until its bucket refills", event, request.sid)
            emit("my error", {"event": event, "error": "rate limited"})
        return {"ok": False, "error": "rate limited"}
    if isinstance(exc, BadInput) or _never_entered(exc):
        error = str(exc) if isinstance(exc, BadInput) else _arity_error()
        log.warning("bad input event=%r sid=%s: %s", event, request.sid, error)
    else:
        error = "internal error"
        log.error("handler failed event=%r sid=%s: %s: %s", event, request.sid, type(exc).__name__, exc)
    emit("my error", {"event": event, "error": error})
    return {"ok": False, "error": error}


def _arity_error():
    """The message for an event sent with no payload, or with several, where it takes one."""
    count = len(request.event["args"])
    return f"this event takes one payload, got {count or 'none'}" + (" arguments" if count else "")
