"""python-socketio's packet, with a cheaper look for binary data in it.

Every packet python-socketio builds, each one a client sends and each one
the server sends, first walks its data to see whether it holds any `bytes`
(which makes it a binary packet): `Packet.data_is_binary` recurses into
every list and dict with a `functools.reduce` over a list of results, a
few calls per value, and never stops early. For an echo's
`my response` that is seven calls and a list and a `reduce` each: about a
twentieth of the server's whole work per echo (docs/benchmarks.md).

`Packet` here answers the same question with one loop and a stack, and
stops at the first `bytes`. It is handed to python-socketio as its
`serializer` (its own way to change the packet class), so everything
python-socketio does with a packet is unchanged.
"""

from socketio import packet

_BINARY = (bytes, bytearray)
#: The types JSON decodes to that hold nothing further: most values, checked first.
_LEAVES = frozenset({str, int, float, bool, type(None)})


class Packet(packet.Packet):
    """A Socket.IO packet whose binary check is a loop instead of a recursion."""

    @classmethod
    def data_is_binary(cls, data):
        """Whether `data` holds `bytes` or a `bytearray`, in lists and dict values at any depth (as the original)."""
        if type(data) in _LEAVES:  # a packet being decoded has no data yet
            return False
        stack = [data]
        pop, push = stack.pop, stack.extend
        while stack:
            item = pop()
            kind = type(item)
            if kind in _LEAVES:
                continue
            if isinstance(item, _BINARY):
                return True
            if isinstance(item, list):
                push(item)
            elif isinstance(item, dict):
                push(item.values())
        return False
