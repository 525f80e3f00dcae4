"""Hypothesis strategies for hostile payloads, and an oracle that says which ones the contract accepts.

The oracle is written from the contract (README table), not from
`playground.validation`, so that a validation bug shows up as a
disagreement rather than being copied into the test.
"""

import json
import re
import unicodedata

from hypothesis import strategies as st

from playground.config import CONTRACT_EVENTS, DEFAULTS
from playground.packets import ATTACHMENTS

MAX_LENGTH = DEFAULTS["MAX_MESSAGE_LENGTH"]
MAX_ROOM = 64
MAX_BINARY = DEFAULTS["MAX_BINARY_SIZE"]

# Text that tends to break things: right-to-left marks and scripts, emoji with joiners and
# skin tones, NUL and other control characters, lone combining marks, a BOM, line separators.
NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",
    "שלום עולם",
    "مرحبا",
    "👩🏽‍🚀👨‍👩‍👧‍👦",
    "\ufeff",
    "\u0301",
    "line\u2028break",
    "<script>alert(1)</script>",
    '{"data": "x"}',
    "\ud7ff",
]

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(NASTY_STRINGS),
    # Right at and just past the limits, and far past them.
    st.builds(lambda char, n: char * n, st.sampled_from(["a", "é", "😀", "\x00"]), st.sampled_from([63, 64, 65])),
    st.builds(
        lambda char, n: char * n,
        st.sampled_from(["a", "é", "😀"]),
        st.sampled_from([MAX_LENGTH - 1, MAX_LENGTH, MAX_LENGTH + 1, 20 * MAX_LENGTH]),
    ),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
    st.binary(max_size=64),
)

values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(texts, st.sampled_from(["data", "room"])), children, max_size=4),
    ),
    max_leaves=12,
)

# Mostly the shapes the handlers expect, with one field wrong, missing or joined by extras.
shaped = st.one_of(
    st.fixed_dictionaries({"data": values}),
    st.fixed_dictionaries({"room": values}),
    st.fixed_dictionaries({"room": values, "data": values}),
    st.fixed_dictionaries({"data": texts}, optional={"extra": values, "room": texts}),
    st.fixed_dictionaries({"room": texts}, optional={"data": texts, "extra": values}),
)

payload_lists = st.lists(st.one_of(shaped, values), max_size=3)

events = st.one_of(st.sampled_from(CONTRACT_EVENTS), texts.filter(lambda name: name not in CONTRACT_EVENTS))


def _text(value, limit=MAX_LENGTH):
    """A string of at most `limit` characters."""
    return isinstance(value, str) and len(value) <= limit


def _room(value):
    """A room name: 1 to 64 characters, not all blank, no control characters."""
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= MAX_ROOM
        and not any(unicodedata.category(char) == "Cc" for char in value)
    )


def _shared_room(value):
    """A room one may join, leave or close: a room name without the shape of a client's sid (those are private)."""
    return _room(value) and not re.fullmatch(r"[A-Za-z0-9+/]{20}", value)


def _one_object(args, *checks):
    """Exactly one argument, an object whose fields pass `checks` (name, predicate)."""
    return (
        len(args) == 1
        and isinstance(args[0], dict)
        and all(name in args[0] and check(args[0][name]) for name, check in checks)
    )


def _small_json(value):
    """An object whose compact JSON is at most MAX_LENGTH characters."""
    try:
        return isinstance(value, dict) and len(json.dumps(value, separators=(",", ":"))) <= MAX_LENGTH
    except (TypeError, ValueError):
        return False


def _binary(value):
    """Whether bytes hide anywhere in `value`: each would travel as a binary attachment."""
    if isinstance(value, (bytes, bytearray)):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(_binary(item) for item in value)


def accepted(event, args):
    """Whether the contract says the server answers `event` with `args` normally (else: `my error`)."""
    if _binary(args) and not ATTACHMENTS.get(event):
        return False
    if event == "my event":
        return _one_object(args, ("data", _text))
    if event == "my broadcast event":
        return _one_object(args, ("data", _text)) and isinstance(args[0].get("include_self", True), bool)
    if event in ("join", "leave", "close room"):
        return _one_object(args, ("room", _shared_room))
    if event == "my room event":
        # A sid-shaped room is how one client is reached: allowed here.
        return _one_object(args, ("room", _room), ("data", _text))
    if event in ("disconnect request", "my ping", "call me"):
        return not args or (len(args) == 1 and (args[0] is None or args[0] == {}))
    if event == "my binary event":
        return len(args) == 1 and isinstance(args[0], bytes) and 1 <= len(args[0]) <= MAX_BINARY
    if event == "message":
        return len(args) == 1 and _text(args[0])
    if event == "json":
        return len(args) == 1 and _small_json(args[0])
    return False


# Strings right at the contract's edges, drawn often: arbitrary text rarely lands on them.
EDGE_ROOMS = [
    *("r", "a" * MAX_ROOM, "a" * (MAX_ROOM + 1), "é" * MAX_ROOM, "", "  ", "a\x00", "a\tb", "\u202eroom"),
    "abcdefghijABCDEFGH+/",  # the shape of a sid: private to join, fine to send to
]
EDGE_BINARY = [b"", b"\x00", bytes(range(256)), b"\xff" * MAX_BINARY, b"\xff" * (MAX_BINARY + 1)]
EDGE_DATA = ["", "x", "a" * MAX_LENGTH, "a" * (MAX_LENGTH + 1), "😀" * MAX_LENGTH, "\x00" * 10]


@st.composite
def near_misses(draw):
    """A contract event with the payload it expects, built from edge values, then maybe broken a little."""
    event = draw(st.sampled_from(CONTRACT_EVENTS))
    # Half the time an edge value, half the time anything.
    room = draw(st.one_of(st.sampled_from(EDGE_ROOMS), st.one_of(texts, values)))
    data = draw(st.one_of(st.sampled_from(EDGE_DATA), st.one_of(texts, values)))
    payload = {
        "my event": {"data": data},
        "my broadcast event": {
            "data": data,
            **draw(st.sampled_from([{}, {"include_self": False}, {"include_self": True}, {"include_self": data}])),
        },
        "join": {"room": room},
        "leave": {"room": room},
        "close room": {"room": room},
        "my room event": {"room": room, "data": data},
        "message": data,
        "json": {"data": data},
        "disconnect request": draw(st.sampled_from([None, {}, data])),
        "my ping": draw(st.sampled_from([None, {}, data])),
        "call me": draw(st.sampled_from([None, {}, data])),
        "my binary event": draw(st.one_of(st.sampled_from(EDGE_BINARY), st.binary(max_size=64), st.just(data))),
    }[event]
    change = draw(st.sampled_from(["none", "none", "extra field", "drop field", "extra argument", "no argument"]))
    if change == "extra field" and isinstance(payload, dict):
        payload = {**payload, "extra": draw(values)}
    elif change == "drop field" and isinstance(payload, dict) and payload:
        payload = dict(list(payload.items())[1:])
    args = [payload]
    if change == "extra argument":
        args.append(draw(values))
    elif change == "no argument":
        args = []
    return event, args


#: What the fuzz tests send: two thirds near misses of the contract, the rest anything at all.
calls = st.one_of(near_misses(), near_misses(), st.tuples(events, payload_lists))
