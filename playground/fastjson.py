"""orjson behind the `dumps`/`loads` pair that `SocketIO(json=...)` expects: every packet is encoded and decoded here.

python-socketio calls `dumps(data, separators=(",", ":"))`, which is what
orjson writes anyway (only non-ASCII text comes out as UTF-8 rather than
`\\u` escapes; both are the same JSON). Whatever orjson refuses to encode,
such as integers past 64 bits or non-string keys, and whatever it refuses to
decode, such as NaN, goes to the standard library, so the server accepts and
sends what it did before. One difference: an integer past 64 bits in a
client's packet decodes as a float, as it would in the browser.
"""

import json

import orjson


def dumps(obj, **kwargs):
    """Encode `obj` as compact JSON text."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(obj, **kwargs)


def loads(text, **kwargs):
    """Decode JSON text (str or bytes)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text, **kwargs)
