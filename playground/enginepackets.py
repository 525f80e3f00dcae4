"""Engine.IO packets no client sends, told apart before python-engineio decodes them.

Below Socket.IO's packets (`packets`) lie Engine.IO's: a type digit, then
the data. python-engineio trusts a client to send only the types clients
send, and gives way on anything else:

- over polling, a record it cannot decode (empty, not a type digit, bad
  base64) or a body that is not UTF-8 is a traceback, `200 OK`, and the
  whole body dropped; a type clients never send (open, ping, noop, 7-9)
  makes it close the session waiting for its queue to drain, which never
  happens while the client waits: the POST hangs, then fails with 500;
- over WebSocket, a message it cannot decode is a traceback out of the
  connection's greenlet.

Socket.IO's reference server closes a connection on a parse error, and on a
ping from a client ("invalid heartbeat direction"). So does the playground,
on both transports, with one WARNING line: `problem` names what is wrong
with one packet, `payload_problem` with a polling payload. A packet of a type
clients do send (close, pong, message, upgrade, and the upgrade's `2probe`
over WebSocket) passes untouched, and a message packet (`4…`, almost every
packet) costs one comparison.
"""

import binascii

#: The first characters of the packets a client sends: close, pong, message, upgrade; `b` is base64 binary.
CLIENT_TYPES = frozenset("1345b")

#: The ping a client sends on a new WebSocket to check it before upgrading to it.
PROBE = "2probe"

#: Engine.IO v4 separates the packets of one polling payload with this character.
SEPARATOR = "\x1e"


def problem(text, websocket=False):
    """What makes the Engine.IO packet `text` one no client sends (over WebSocket if `websocket`), or None."""
    if text[:1] == "4":
        return None  # a message: Socket.IO's packets look after its data
    if not text:
        return "an empty Engine.IO packet"
    kind = text[0]
    if kind == "b":
        try:
            binascii.a2b_base64(text[1:], strict_mode=True)
        except binascii.Error:
            return "an Engine.IO binary packet that is not base64"
        return None
    if kind in CLIENT_TYPES or (websocket and text == PROBE):
        return None
    if kind == "2":
        return "an Engine.IO ping from a client (servers ping, clients answer)"
    return f"an Engine.IO packet of type {kind[:1]!r}, which no client sends"


def payload_problem(payload):
    """What makes one of the packets of the polling payload `payload` (text) one no client sends, or None."""
    for record in payload.split(SEPARATOR) if payload else ():
        found = problem(record)
        if found:
            return found
    return None
