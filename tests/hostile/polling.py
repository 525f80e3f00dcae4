"""`RawClient`'s long-polling twin: Engine.IO packets written and read by hand over HTTP requests.

The same `/test` handshake, `send_raw`, `emit`, `of` and `read_packet` as
the WebSocket one, so a test can send the same raw packets over both
transports; what differs is only how bytes travel (a POST per send, a GET
per read, packets separated by the record separator).
"""

import contextlib
import time

import requests

from tests.hostile.wire import RawClient

#: Engine.IO v4 separates the packets of one polling payload with this character.
SEPARATOR = "\x1e"


class RawPollingClient(RawClient):
    """One long-polling session on `/test`, no client library in between."""

    def __init__(self, port):
        """Open the Engine.IO session with a handshake GET; `join_namespace` then connects to `/test`."""
        self.url = f"http://127.0.0.1:{port}/socket.io/"
        self.http = requests.Session()
        self.keep_chars = None
        self._nothing_received()
        self._poll(timeout=10)  # its open packet names the session (see `_handle`)

    def _params(self):
        """The query string of every request of this session."""
        params = {"EIO": "4", "transport": "polling"}
        if self.eio_sid:
            params["sid"] = self.eio_sid
        return params

    def _poll(self, timeout):
        """One GET: handle every packet it brings; False once the server closed the session."""
        response = self.http.get(self.url, params=self._params(), timeout=timeout)
        if response.status_code != 200:
            # A session the server closed answers 400 unless a GET was already waiting for its CLOSE.
            self.closed = True
            return False
        for message in response.text.split(SEPARATOR):
            self._handle(message)
        return not self.closed

    def send_raw(self, text):
        """POST one Engine.IO packet as it is written on the wire."""
        self.post(text.encode()).raise_for_status()

    def post(self, body):
        """POST `body`, bytes that need not be a payload at all; return the response."""
        with self._lock:
            return self.http.post(self.url, params=self._params(), data=body, timeout=10)

    def _read_until(self, condition, timeout, first):
        """GET until `condition()` holds."""
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {first} packet within {timeout}s")
            if not self._poll(timeout=remaining):
                raise ConnectionError(f"closed while waiting for the {first} packet")

    def abort(self):
        """Walk away: no close packet, the session times out on the server."""
        self.http.close()

    def close(self):
        """Leave cleanly: Engine.IO close packet, then the HTTP session."""
        with contextlib.suppress(requests.RequestException):
            self.send_raw("1")
        self.http.close()
