"""A client that floods broadcasts as fast as its socket takes them, run as its own process.

`python -m tests.hostile.flooder PORT SECONDS` connects to `/test`, prints
"flooding", sends `my broadcast event` for SECONDS, then prints how many it
sent. A process of its own, so that its busy loop does not slow down the
test's clients, whose round trips are what the flood test measures.
"""

import json
import select
import sys
import time

from playground.config import NAMESPACE
from tests.hostile.wire import RawClient, _frame


def main(port, seconds):
    """Flood broadcasts for `seconds`; prints "flooding" first and how many it sent at the end."""
    client = RawClient(port).join_namespace()
    frame = _frame(f"42{NAMESPACE}," + json.dumps(["my broadcast event", {"data": "flood"}]))
    print(f"sent {flood(client, frame, seconds)}", flush=True)


def flood(client, frame, seconds, batch=100):
    """Send `frame` for `seconds`: write whenever the socket takes more, read (and drop) whatever comes back.

    Prints "flooding" when it starts; returns how many frames it sent.
    """
    frames = frame * batch
    batches, offset = 0, 0
    client.sock.setblocking(False)
    print("flooding", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        readable, writable, _ = select.select([client.sock], [client.sock], [], 0.1)
        if readable and not client.sock.recv(1 << 20):
            break  # the server closed the connection
        if writable:
            offset += client.sock.send(frames[offset:])
            if offset == len(frames):
                batches, offset = batches + 1, 0
    return batches * batch + offset // len(frame)


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
