"""Checks for what clients send: every payload passes through one of these.

A check either returns the clean value or raises `BadInput` with a message
written for the person at the other end; the error handler in `events`
turns that into a `my error` event and a failed ack.
"""

import json
import re
import unicodedata

#: Longest room name, in characters.
MAX_ROOM_LENGTH = 64

#: The shape of a client's sid (Engine.IO's `generate_id`: 15 bytes in base64), known or not.
_SID_SHAPE = re.compile(r"[A-Za-z0-9+/]{20}")

PRIVATE_ROOM = "rooms named after a client are private"


class BadInput(ValueError):
    """A payload that breaks the contract; its message is shown to the sender."""


def _field(message, name):
    """Return `message[name]`, insisting that `message` is an object that has it."""
    if not isinstance(message, dict):
        raise BadInput(f"expected an object with a '{name}' field, got {_kind(message)}")
    if name not in message:
        raise BadInput(f"missing field '{name}'")
    return message[name]


def text(message, name, max_length):
    """Return the string field `name` of `message`, at most `max_length` characters long."""
    value = _field(message, name)
    if not isinstance(value, str):
        raise BadInput(f"'{name}' must be a string, got {_kind(value)}")
    if len(value) > max_length:
        raise BadInput(f"'{name}' is {len(value)} characters long; the limit is {max_length}")
    return value


def room(message):
    """Return the room name of `message`: 1 to 64 characters, none of them a control character."""
    value = _field(message, "room")
    if not isinstance(value, str):
        raise BadInput(f"'room' must be a string, got {_kind(value)}")
    if not value.strip():
        raise BadInput("'room' must not be empty")
    if len(value) > MAX_ROOM_LENGTH:
        raise BadInput(f"'room' is {len(value)} characters long; the limit is {MAX_ROOM_LENGTH}")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise BadInput("'room' must not contain control characters")
    return value


def shared_room(message, is_client):
    """Return the room of `message` for join, leave or close: never a client's own room.

    Every client sits in a room named after its sid, which is how a message
    reaches it alone; joining it would let anyone read that client's mail,
    and leaving or closing it would cut the client off. `is_client(name)`
    knows this process's clients; a name with the shape of a sid counts as
    one too, since a client on another instance is not known here.
    """
    value = room(message)
    if is_client(value) or _SID_SHAPE.fullmatch(value):
        raise BadInput(PRIVATE_ROOM)
    return value


def plain_text(value, max_length):
    """Return `value` if it is a string of at most `max_length` characters (the `message` event)."""
    if not isinstance(value, str):
        raise BadInput(f"expected a string, got {_kind(value)} (objects go in the 'json' event)")
    if len(value) > max_length:
        raise BadInput(f"the message is {len(value)} characters long; the limit is {max_length}")
    return value


def json_object(value, max_length):
    """Return `value` if it is a JSON object whose encoding is at most `max_length` characters."""
    if not isinstance(value, dict):
        raise BadInput(f"expected a JSON object, got {_kind(value)}")
    try:
        size = len(json.dumps(value, separators=(",", ":")))
    except (TypeError, ValueError):
        raise BadInput("the object holds values that are not JSON (binary data?)") from None
    if size > max_length:
        raise BadInput(f"the object is {size} characters as JSON; the limit is {max_length}")
    return value


def flag(message, name, default):
    """Return the optional boolean field `name` of `message`, `default` when it is absent."""
    value = message.get(name, default) if isinstance(message, dict) else default
    if not isinstance(value, bool):
        raise BadInput(f"'{name}' must be true or false, got {_kind(value)}")
    return value


def binary(value, max_size):
    """Return `value` if it is one binary payload (bytes) of 1 to `max_size` bytes."""
    if not isinstance(value, (bytes, bytearray)):
        raise BadInput(f"expected binary data (an ArrayBuffer, a Blob or bytes), got {_kind(value)}")
    if not value:
        raise BadInput("the binary payload is empty")
    if len(value) > max_size:
        raise BadInput(f"the binary payload is {len(value)} bytes; the limit is {max_size}")
    return bytes(value)


def nothing(message):
    """Accept events that take no payload; an empty object is tolerated too."""
    if message not in (None, {}):
        raise BadInput(f"this event takes no payload, got {_kind(message)}")


# JSON's names for the Python types a payload decodes to; bool before int, as bool is an int.
_KINDS = (
    (type(None), "nothing"),
    (bool, "a boolean"),
    ((int, float), "a number"),
    (str, "a string"),
    ((bytes, bytearray), "binary data"),
    ((list, tuple), "a list"),
    (dict, "an object"),
)


def _kind(value):
    """Name the JSON type of `value` for an error message."""
    return next((name for types, name in _KINDS if isinstance(value, types)), type(value).__name__)


#: For other modules' messages (names refuse connections with the same words).
kind_of = _kind
