"""`my binary event`: one binary payload in, the same bytes back as `my binary response`.

Socket.IO sends binary as attachments: the JSON packet holds a placeholder
and the bytes follow as their own Engine.IO message (a binary WebSocket
frame, or base64 over long-polling). python-socketio puts the bytes back in
place, so the handler gets `bytes`, and emitting `bytes` sends them the same way.
"""

from flask import current_app
from flask_socketio import emit

from . import socketio, validation
from .config import NAMESPACE
from .events import limited
from .ratelimit import ECHO


@socketio.on("my binary event", namespace=NAMESPACE)
@limited(ECHO)
def my_binary_event(payload):
    """Send the payload's bytes back to the sender, unchanged, and ack how many there were."""
    data = validation.binary(payload, current_app.config["MAX_BINARY_SIZE"])
    emit("my binary response", data)
    return {"ok": True, "bytes": len(data)}
