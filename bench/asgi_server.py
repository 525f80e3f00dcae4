"""python-socketio on uvicorn (ASGI, uvloop, httptools, websockets): the fastest other Python stack.

The same benchmarked /test events as the playground: greeting, echo,
broadcast, the 1 Hz feed. Usage: PORT=... python bench/asgi_server.py
"""

import asyncio
import os
import random

import socketio
import uvicorn

sio = socketio.AsyncServer(async_mode="asgi")
counts = {}
feed = None


async def healthz(scope, receive, send):
    """Lets the bench runner know the server is up (any plain HTTP path)."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})


app = socketio.ASGIApp(sio, other_asgi_app=healthz)


async def number_feed():
    """A random number to every client each second."""
    while True:
        await asyncio.sleep(1)
        await sio.emit("newnumber", {"number": round(random.random() * 10, 3)}, namespace="/test")


@sio.on("connect", namespace="/test")
async def connect(sid, environ, auth=None):
    """Start the feed with the first client and greet the new one."""
    global feed
    if feed is None:
        feed = sio.start_background_task(number_feed)
    counts[sid] = 0
    await sio.emit("my response", {"data": "Connected", "count": 0}, to=sid, namespace="/test")


@sio.on("disconnect", namespace="/test")
async def disconnect(sid, reason=None):
    """Forget the client's counter."""
    counts.pop(sid, None)


@sio.on("my event", namespace="/test")
async def my_event(sid, message):
    """Echo to the sender."""
    counts[sid] = counts.get(sid, 0) + 1
    await sio.emit("my response", {"data": message["data"], "count": counts[sid]}, to=sid, namespace="/test")


@sio.on("my broadcast event", namespace="/test")
async def my_broadcast_event(sid, message):
    """Send to every client of the namespace."""
    counts[sid] = counts.get(sid, 0) + 1
    await sio.emit("my response", {"data": message["data"], "count": counts[sid]}, namespace="/test")


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning", ws="websockets")
