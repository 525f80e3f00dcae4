"""A bare Socket.IO client over a raw WebSocket, for the load tests that need many cheap clients.

python-socketio's client costs two threads and a fair amount of Python
per message; fifty of them receiving thousands of broadcasts would measure
the test process, not the server. `RawClient` speaks just enough of the
protocols (RFC 6455 framing, Engine.IO v4, Socket.IO v5) to connect to
`/test`, emit, and read events; `Reader` drains many of them from one
thread. The slow-reader test uses it to stop reading on purpose, which a
library client cannot do.
"""

import base64
import contextlib
import json
import os
import selectors
import socket
import struct
import threading
import time

from playground.config import NAMESPACE


def _frame(text, first_byte=0x81):
    """One masked frame, as a client must send it: text, unless `first_byte` says binary (0x82)."""
    payload = text.encode() if isinstance(text, str) else text
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first_byte, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", first_byte, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", first_byte, 0x80 | 127, length)
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return header + mask + masked


def binary_frame(data):
    """One masked binary frame: an Engine.IO binary message, which Socket.IO uses for an attachment."""
    return _frame(data, first_byte=0x82)


class RawClient:
    """One WebSocket connection to `/test`; `events` holds (name, payload) in arrival order."""

    def __init__(self, port, rcvbuf=None, origin=None, keep_chars=None, source=None):
        """Open the TCP connection and do the WebSocket handshake; `rcvbuf` shrinks the receive buffer.

        `source` is the local address to connect from (any 127.x.y.z is this
        machine too), for tests that need clients with different addresses.

        `keep_chars` keeps only that many characters of each `data` received,
        for tests that send big messages many times over.
        """
        self.keep_chars = keep_chars
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        headers = [
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if origin:
            headers.append(f"Origin: {origin}")
        self.sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        self._buffer = b""
        while b"\r\n\r\n" not in self._buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the WebSocket handshake")
            self._buffer += chunk
        status, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n")[0]:
            raise ConnectionError(status.decode(errors="replace"))
        self._nothing_received()

    def _nothing_received(self):
        """The state of a session that has received nothing yet: no open packet, no sid, no events."""
        self.events = []
        self.packets = []
        self.opened = False
        self.eio_sid = None
        self.sid = None
        self.closed = False
        self._lock = threading.Lock()

    def join_namespace(self, timeout=10):
        """Wait for Engine.IO's open packet, connect to `/test`, and wait for the greeting."""
        self._read_until(lambda: self.opened, timeout, first="open")
        self.send_raw(f"40{NAMESPACE},")
        self._read_until(lambda: self.sid is not None and self.events, timeout, first="connect")
        return self

    def send_raw(self, text):
        """Send one Engine.IO packet as it is written on the wire."""
        with self._lock:
            self.sock.sendall(_frame(text))

    def send_binary(self, data):
        """Send one binary Engine.IO message (a Socket.IO attachment)."""
        with self._lock:
            self.sock.sendall(binary_frame(data))

    def emit(self, event, *args):
        """Emit `event` on `/test` without asking for an ack."""
        self.send_raw(f"42{NAMESPACE}," + json.dumps([event, *args]))

    def of(self, event):
        """The payloads of `event` received so far."""
        return [payload for name, payload in self.events if name == event]

    def feed(self, data):
        """Take bytes read from the socket; record every complete message; False once the server closed."""
        if not data:
            self.closed = True
            return False
        self._buffer += data
        return self._drain()

    def _drain(self):
        """Handle every complete message in the buffer; False once the server closed."""
        while True:
            message = self._next_message()
            if message is None:
                return not self.closed
            self._handle(message)

    def _next_message(self):
        """Cut one whole frame off the buffer and return its text, or None if it is not all there yet."""
        buffer = self._buffer
        if len(buffer) < 2:
            return None
        opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
        if length == 126:
            if len(buffer) < 4:
                return None
            (length,), offset = struct.unpack("!H", buffer[2:4]), 4
        elif length == 127:
            if len(buffer) < 10:
                return None
            (length,), offset = struct.unpack("!Q", buffer[2:10]), 10
        if len(buffer) < offset + length:
            return None
        payload, self._buffer = buffer[offset : offset + length], buffer[offset + length :]
        if opcode == 0x8:
            self.closed = True
            return None
        return payload.decode()

    def _handle(self, message):
        """Answer pings and record Socket.IO events, the namespace's connect and its disconnect."""
        self.packets.append(message)
        if message == "2":
            self.send_raw("3")
        elif message.startswith("0"):
            self.opened = True
            self.eio_sid = json.loads(message[1:])["sid"]
        elif message == "1":
            self.closed = True
        elif message.startswith(f"40{NAMESPACE},"):
            self.sid = json.loads(message[len(NAMESPACE) + 3 :])["sid"]
        elif message.startswith(f"41{NAMESPACE},"):
            self.events.append(("(disconnect)", None))
        elif message.startswith(f"42{NAMESPACE},"):
            name, *args = json.loads(message[message.index("[") :])
            payload = args[0] if args else None
            if self.keep_chars and isinstance(payload, dict) and isinstance(payload.get("data"), str):
                payload["data"] = payload["data"][: self.keep_chars]
            self.events.append((name, payload))

    def _read_until(self, condition, timeout, first):
        """Read from this socket alone until `condition()` holds."""
        deadline = time.monotonic() + timeout
        self._drain()  # the handshake's last read may hold the first packets already
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {first} packet within {timeout}s")
            if not self.feed(self.sock.recv(65536)):
                raise ConnectionError(f"closed while waiting for the {first} packet")

    def read_packet(self, matches, timeout=10, since=0):
        """Read (from this thread) until a packet from index `since` on satisfies `matches`; return it."""

        def first_match():
            return next((packet for packet in self.packets[since:] if matches(packet)), None)

        self._read_until(lambda: first_match() is not None, timeout, first="expected")
        return first_match()

    def abort(self):
        """Close the TCP connection without any goodbye."""
        self.sock.close()

    def close(self):
        """Leave cleanly: Engine.IO close packet, then the socket."""
        with contextlib.suppress(OSError):
            self.send_raw("1")
        self.sock.close()


class Reader:
    """Drains many `RawClient`s from one background thread, until stopped."""

    def __init__(self, clients):
        """Start reading every client in `clients` at once."""
        self.selector = selectors.DefaultSelector()
        for client in clients:
            # The sockets keep their timeout: the test thread may still send on them while this one reads.
            self.selector.register(client.sock, selectors.EVENT_READ, client)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        """Read whatever arrives; a client the server closed is unregistered."""
        while not self._stop.is_set():
            for key, _ in self.selector.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(1 << 20)
                except OSError:
                    data = b""
                if not key.data.feed(data):
                    self.selector.unregister(key.fileobj)

    def stop(self):
        """Stop reading and wait for the thread to end."""
        self._stop.set()
        self.thread.join(5)
