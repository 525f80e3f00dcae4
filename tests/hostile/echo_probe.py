"""`python -m tests.hostile.echo_probe URL`: echo on `/test` about 15 times a second until stdin closes.

Then print the round trips, in ms, as one JSON list. A process of its own,
so that what the test process does meanwhile (starting clients, their
threads) cannot delay its echoes: the round trips measure the server alone.
"""

import json
import sys
import threading
import time

from tests.live import LiveClient

#: Seconds between two echoes: about 15 a second, under RATE_LIMIT (20).
PAUSE = 0.06


def main(url):
    """Echo until stdin reaches its end; print the round trips."""
    client = LiveClient(url)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    print("ready", flush=True)
    round_trips = []
    while not done.is_set():
        started = time.monotonic()
        if not client.call("my event", {"data": "still here"})["ok"]:
            raise SystemExit("an echo was refused")
        round_trips.append((time.monotonic() - started) * 1000)
        done.wait(PAUSE)
    client.sio.disconnect()
    print(json.dumps(round_trips), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
