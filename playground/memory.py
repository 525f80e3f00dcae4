"""Less memory per live connection: two process-wide settings of gevent, made by `app.py` before it serves.

Measured on a fresh process with 1,000 WebSocket clients each fed the
greeting and three ticks (docs/benchmarks.md), each is worth a few KiB of
every connection's resident memory:

- `READ_BUFFER`: gevent's WSGI server reads each connection through a
  buffered file of `io.DEFAULT_BUFFER_SIZE` (8 KiB), held for as long as
  a WebSocket lives, while a request's headers and a client's frames are
  a few hundred bytes. Anything bigger than the buffer is read straight
  into its destination by the buffered reader anyway, so a smaller buffer
  costs only a read call more for a burst of small frames.
  `io.DEFAULT_BUFFER_SIZE` is what gevent's `socket.makefile` reads for
  its default; Python's own `open()` does not read it.
- gevent's greenlet tree (`track_greenlet_tree`): every greenlet keeps the
  stack it was spawned from (up to ten frames), its parent and a shared
  locals dict, for debugging tools. Off, those are None; nothing here
  reads them.

Both apply to the whole process, hence `app.py` and not `create_app`: the
tests' processes keep gevent's defaults.
"""

import io

import gevent

#: Bytes of the buffered file each connection is read through (gevent's default: 8 KiB).
READ_BUFFER = 512


def lean_connections():
    """Apply both settings; call before serving, so every connection is made with them."""
    io.DEFAULT_BUFFER_SIZE = READ_BUFFER
    gevent.config.track_greenlet_tree = False
