"""The baseline: the benchmarked events written as the tutorial and Flask-SocketIO's example write them.

gevent + gevent-websocket, `socketio.run`, the session-based counter, a
greenlet per event and the default JSON module: what a user gets by
following the docs, so the gain of the playground's own choices shows.
Usage: PORT=... python bench/baseline_app.py
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import random  # noqa: E402

from flask import Flask, session  # noqa: E402
from flask_socketio import SocketIO, emit  # noqa: E402

app = Flask(__name__)
app.config["SECRET_KEY"] = "secret!"
socketio = SocketIO(app, async_mode="gevent")
thread = None


def background_thread():
    """The tutorial's feed: a random number to every client each second."""
    while True:
        socketio.sleep(1)
        socketio.emit("newnumber", {"number": round(random.random() * 10, 3)}, namespace="/test")


@app.route("/healthz")
def healthz():
    """Lets the bench runner know the server is up."""
    return {"status": "ok"}


@socketio.on("my event", namespace="/test")
def test_message(message):
    """Echo to the sender, counting in the session as the example does."""
    session["receive_count"] = session.get("receive_count", 0) + 1
    emit("my response", {"data": message["data"], "count": session["receive_count"]})


@socketio.on("my broadcast event", namespace="/test")
def test_broadcast_message(message):
    """Send to every client of the namespace."""
    session["receive_count"] = session.get("receive_count", 0) + 1
    emit("my response", {"data": message["data"], "count": session["receive_count"]}, broadcast=True)


@socketio.on("connect", namespace="/test")
def test_connect():
    """Start the feed with the first client and greet the new one."""
    global thread
    if thread is None:
        thread = socketio.start_background_task(background_thread)
    emit("my response", {"data": "Connected", "count": 0})


if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=int(os.environ["PORT"]))
