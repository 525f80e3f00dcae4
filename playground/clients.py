"""The connections this process holds, and what the playground counts per connection."""


class Clients:
    """Connected sids of the playground namespace and each one's `count` of answered events.

    Touched only by the connect, disconnect and event handlers in `events`;
    `/healthz` reads its size.
    """

    def __init__(self):
        """Start with nobody connected."""
        self._counts = {}

    def add(self, sid):
        """Record a new connection, whose count starts at 0."""
        self._counts[sid] = 0

    def remove(self, sid):
        """Forget a connection; forgetting one twice is harmless."""
        self._counts.pop(sid, None)

    def bump(self, sid):
        """Count one more answered event for `sid` and return the new count."""
        count = self._counts.get(sid, 0) + 1
        self._counts[sid] = count
        return count

    def __len__(self):
        """How many clients are connected to this process."""
        return len(self._counts)
