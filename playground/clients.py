"""The connections this process holds, and what the playground keeps per connection: its count and its name."""


class Clients:
    """Connected sids of one namespace, each one's `count` of answered events and its name (or None).

    Touched only by the connect, disconnect and event handlers; `/healthz`
    reads the size of the `/test` one.
    """

    def __init__(self):
        """Start with nobody connected."""
        self._counts = {}
        self._names = {}

    def add(self, sid, name=None):
        """Record a new connection, whose count starts at 0, with the name it connected with."""
        self._counts[sid] = 0
        self._names[sid] = name

    def remove(self, sid):
        """Forget a connection; forgetting one twice is harmless."""
        self._counts.pop(sid, None)
        self._names.pop(sid, None)

    def bump(self, sid):
        """Count one more answered event for `sid` and return the new count."""
        count = self._counts.get(sid, 0) + 1
        self._counts[sid] = count
        return count

    def name(self, sid):
        """The name `sid` connected with, None if it gave none (or is gone)."""
        return self._names.get(sid)

    def __len__(self):
        """How many clients are connected to this process."""
        return len(self._counts)
