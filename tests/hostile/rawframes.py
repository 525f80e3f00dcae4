"""Hand-made WebSocket frames and HTTP requests for the transport suite, and an observer that keeps pinging.

`wire.RawClient` speaks the protocol politely; these send what an attacker
would: headers that declare more than they send, fragments without end,
polling bodies without a length. Frames are masked with a zero key (legal,
and the test process then spends no time masking), so a flood measures
the server, not the test.
"""

import itertools
import socket
import struct
import subprocess
import sys
import threading
import time

from tests.hostile.flooder import flood
from tests.hostile.wire import RawClient
from tests.servers import PROJECT_ROOT

CONTINUATION, TEXT, CLOSE = 0x0, 0x1, 0x8
ZERO_MASK = b"\0\0\0\0"


def frame_header(length, opcode=TEXT, fin=True):
    """The header of a masked client frame declaring `length` bytes (zero mask key included)."""
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        return struct.pack("!BB", first, 0x80 | length) + ZERO_MASK
    if length < 1 << 16:
        return struct.pack("!BBH", first, 0x80 | 126, length) + ZERO_MASK
    return struct.pack("!BBQ", first, 0x80 | 127, length) + ZERO_MASK


def frame(payload, opcode=TEXT, fin=True):
    """A whole masked frame (zero key: the payload goes as it is)."""
    return frame_header(len(payload), opcode, fin) + payload


def open_websocket(port):
    """A raw socket after the WebSocket handshake with Engine.IO (the open packet may be buffered)."""
    return RawClient(port)


def read_close(client, timeout=5, start=None):
    """Read `client`'s socket until the server's close frame: (close code or None, seconds since `start`).

    `start` is a `time.monotonic()` (default: now). The code is None when the
    connection ended (EOF or reset) without a close frame, "open" if it is
    still open after `timeout`.
    """
    start = time.monotonic() if start is None else start
    client.sock.settimeout(timeout)
    buffer = client._buffer
    while True:
        closing = _close_code(buffer)
        if closing is not None:
            return closing[0], time.monotonic() - start
        try:
            chunk = client.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        except TimeoutError:
            return "open", time.monotonic() - start
        if not chunk:
            return None, time.monotonic() - start
        buffer += chunk


def _close_code(buffer):
    """The close frame's code in `buffer` as a 1-tuple, once it is all there (skipping the frames before it)."""
    while len(buffer) >= 2:
        opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
        if length == 126:
            (length,), offset = struct.unpack("!H", buffer[2:4]), 4
        elif length == 127:
            (length,), offset = struct.unpack("!Q", buffer[2:10]), 10
        if len(buffer) < offset + length:
            return None
        if opcode == CLOSE:
            payload = buffer[offset : offset + length]
            return (struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005,)
        buffer = buffer[offset + length :]
    return None


def send_in_background(sock, data_chunks):
    """Send every chunk from a thread until the server stops taking them; returns the thread and a byte count."""
    sent = [0]

    def run():
        try:
            for chunk in data_chunks:
                sock.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:
            pass  # the server closed on us: what the test expects

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, sent


def wait_closed(sock, timeout):
    """Seconds until the server closes `sock` (EOF or reset), dropping what it reads; None if it stays open."""
    start = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - start < timeout:
        try:
            if not sock.recv(65536):
                return time.monotonic() - start
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - start
    return None


class Observer:
    """A `/test` client pinging every 5 ms in a process of its own; the test reads the time of every `my pong`.

    Its own process, so that the test's threads (a sender pushing megabytes,
    say) cannot hold it up: what it measures is the server. `pongs` holds
    (sent, received) `time.monotonic()` pairs, a clock every process shares.
    """

    def __init__(self, port):
        """Start the pinging process and wait for its first pong."""
        self.pongs = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.hostile.rawframes", "observe", str(port)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._thread = threading.Thread(target=self._collect, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.pongs:
            assert time.monotonic() < deadline and self.process.poll() is None, "the observer never got a pong"
            time.sleep(0.01)
        self.mark()

    def _collect(self):
        """Keep every (sent, received) line the process prints."""
        for line in self.process.stdout:
            sent, received = line.split()
            self.pongs.append((float(sent), float(received)))

    def mark(self):
        """Start a measurement window: the figures below count from here on."""
        self._since, self._marked = len(self.pongs), time.monotonic()
        return self

    def window(self):
        """The (sent, received) pairs since `mark`."""
        return self.pongs[self._since :]

    def longest_gap_ms(self):
        """The longest time without a pong in the window (from `mark` to now), in ms."""
        times = [self._marked, *(received for _, received in self.window()), time.monotonic()]
        return round(1000 * max(b - a for a, b in itertools.pairwise(times)), 1)

    def rtt_ms(self, quantile):
        """The `quantile` (0..1) of the ping round trips in the window, in ms."""
        rtts = sorted(received - sent for sent, received in self.window())
        if not rtts:
            return float("inf")  # not one pong in the window
        return round(1000 * rtts[min(len(rtts) - 1, int(quantile * len(rtts)))], 1)

    def stop(self):
        """Stop the pinging process."""
        self.process.terminate()
        self.process.wait(10)
        self._thread.join(5)


def observe(port, interval=0.005):
    """In the observer's process: ping, wait for the pong, print both times, pause, for ever."""
    client = RawClient(port).join_namespace()
    while True:
        since = len(client.packets)
        sent = time.monotonic()
        client.emit("my ping")
        client.read_packet(lambda packet: '"my pong"' in packet, timeout=60, since=since)
        print(f"{sent} {time.monotonic()}", flush=True)
        time.sleep(interval)


def polling_handshake(port):
    """Open a long-polling Engine.IO session with a raw HTTP request; returns its sid."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling", timeout=5) as answer:
        body = answer.read().decode()
    return json.loads(body[1:])["sid"]


def raw_post(port, sid, headers, body_chunks, read_timeout=5):
    """POST to a polling session by hand: (status line, seconds from the headers sent, whether the server closed).

    The body is sent from a thread, as far as the server takes it, while
    this waits for the answer.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    request = [f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1", f"Host: 127.0.0.1:{port}", *headers]
    sock.sendall(("\r\n".join(request) + "\r\n\r\n").encode())
    start = time.monotonic()
    send_in_background(sock, body_chunks)
    answer = b""
    try:
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    except OSError:
        pass
    elapsed = time.monotonic() - start
    status = answer.split(b"\r\n")[0].decode(errors="replace")
    closed = wait_closed(sock, 2) is not None
    sock.close()
    return status, elapsed, closed


def flood_big_frames(port, seconds, size):
    """Send `my ping` frames of `size` bytes back to back for `seconds`, dropping what comes back; returns frames sent.

    Run as its own process (`python -m tests.hostile.rawframes PORT SECONDS
    SIZE`), so that its busy loop does not hold up the test.
    """
    client = RawClient(port)
    client.sock.sendall(frame(b"40/test,"))
    # A valid event, padded with JSON whitespace to `size`: the server decodes and answers each.
    packet = b'42/test,["my ping"' + b" " * (size - 19) + b"]"
    return flood(client, frame(packet), seconds, batch=16)


if __name__ == "__main__":
    if sys.argv[1] == "observe":
        observe(int(sys.argv[2]))
    else:
        print(f"sent {flood_big_frames(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))}", flush=True)
