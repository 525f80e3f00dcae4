"""`call me`: the server asks the sender a question with an ack request and waits for the answer.

Handlers run in the greenlet that reads their client's socket
(`async_handlers=False`), and the answer arrives on that same socket, so a
handler that waited for it would wait forever (Flask-SocketIO's `call()`
refuses to run at all with `async_handlers=False`). So the handler only
emits the question with a callback and returns; a background task waits for
the callback, up to `CALL_TIMEOUT` seconds, and reports the silence. The
client's other events go on being read and answered meanwhile.
"""

import functools
import json
import logging
import time

from flask import current_app, request
from flask_socketio import emit

from . import socketio, validation
from .config import NAMESPACE
from .events import limited
from .ratelimit import ECHO
from .replies import respond, state

log = logging.getLogger(__name__)

QUESTION = "Are you there?"


@socketio.on("call me", namespace=NAMESPACE)
@limited(ECHO)
def call_me(message=None):
    """Ask the sender `are you there` with an ack request; ack at once, and let a background task wait."""
    validation.nothing(message)
    question = state().questions.ask(request.sid, socketio.server.eio.create_event())
    # Straight to the sender's own connection, never through the queue: the ack comes back here.
    emit("are you there", {"question": QUESTION}, callback=functools.partial(_answered, question), ignore_queue=True)
    question.ack_id = _newest_ack_id(request.sid)
    socketio.start_background_task(_wait_for_answer, current_app._get_current_object(), question)
    return {"ok": True}


def _newest_ack_id(sid):
    """The id of the ack request just sent to `sid` (python-socketio numbers them upwards, per client)."""
    pending = socketio.server.manager.callbacks.get(sid, {})
    return max((ack_id for ack_id in pending if ack_id), default=None)


def _answered(question, *answer):
    """The client's ack, in its request context: tell it what it answered and how long it took."""
    if not question.settle():
        return  # it came after the timeout, which the client has already been told about
    elapsed_ms = round((time.monotonic() - question.asked_at) * 1000)
    question.answered.set()
    # One value as itself, several as a list, an ack with none (JS `ack()`) as null.
    value = answer[0] if len(answer) == 1 else list(answer) or None
    shown = json.dumps(value, ensure_ascii=False, default=repr)
    shown = shown[: current_app.config["MAX_MESSAGE_LENGTH"]]
    respond(f"You answered {shown} after {elapsed_ms} ms")


def _wait_for_answer(app, question):
    """Background task: wait up to CALL_TIMEOUT for the answer; else send `my error` and drop the ack request."""
    timeout = app.config["CALL_TIMEOUT"]
    try:
        if question.answered.wait(timeout) or not question.settle():
            return
        log.info("no answer sid=%s within %ss to %r", question.sid, timeout, QUESTION)
        error = {"event": "call me", "error": f"no answer within {timeout:g} s"}
        socketio.emit("my error", error, to=question.sid, namespace=NAMESPACE, ignore_queue=True)
        # python-socketio keeps an ack request until it is answered or the client leaves: drop it now.
        socketio.server.manager.callbacks.get(question.sid, {}).pop(question.ack_id, None)
    finally:
        app.extensions["playground"].questions.done(question)
