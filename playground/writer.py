"""Engine.IO's WebSocket writer as a task that exists only while there is something to write.

Engine.IO starts a writer task for every WebSocket client, which waits on
the client's queue for as long as the connection lives. Once `directsend`
writes idle clients' packets itself, that task almost never has anything to
do, yet its saved stack, its own frame stack and its timer are about
7 KiB of every live connection (docs/benchmarks.md). `LazyWriters` stands
in for Engine.IO's `start_background_task` when it is asked to start that
writer, and gives the connection a `LazyWriter` instead: a task is spawned
when a packet is queued, writes everything queued, and ends when the queue
is empty. What Engine.IO's writer did, it still does:

- every queued packet is sent in order, each as `ws.send(pkt.encode())`,
  one task at a time, so a client that stops reading blocks that task on
  its full socket, as before, and its packets pile up in the queue, where
  `outbox.OutboxMonitor` sees them;
- the `None` Engine.IO queues when the connection ends is the last thing
  taken: what came before it is sent, then the WebSocket is closed, as
  after a failed send;
- with nothing queued for `ping_interval + ping_timeout` seconds (a client
  that stopped answering pings gets no more of them), the WebSocket is
  closed, as Engine.IO's writer does when its wait times out;
- `join()` waits for all that, as Engine.IO's connection handler expects
  of the writer task before it closes the session.

The client's queue says `waiting` while no task writes, which is what
`directsend` asks before writing a packet itself. Only Engine.IO's own
writer (recognised by its name and its two closure variables) is replaced;
anything else is started as before.
"""

import gevent
import gevent.event
from gevent.queue import JoinableQueue

#: The qualified name of the writer task Engine.IO's WebSocket handler starts.
WRITER = "Socket._websocket_handler.<locals>.writer"


class WriterQueue(JoinableQueue):
    """Engine.IO's per-client queue, which also says whether its writer is idle.

    `waiting` is set while no task writes what the queue holds: by a `LazyWriter`
    between its tasks, or else by a `get` that will block, cleared as it returns
    (in the same task, with no switch in between). While it is set and the
    queue is empty, everything taken from the queue has been written.
    """

    __slots__ = ("on_put", "waiting")

    def __init__(self, *args, **kwargs):
        """A queue like Engine.IO's, nobody waiting yet; `on_put` is called after each `put`."""
        super().__init__(*args, **kwargs)
        self.waiting = False
        self.on_put = None

    def put(self, item, block=True, timeout=None):
        """`Queue.put`, then `on_put()` if set (a `LazyWriter` starts writing)."""
        super().put(item, block, timeout)
        if self.on_put is not None:
            self.on_put()

    def get(self, block=True, timeout=None):
        """`Queue.get`, with `waiting` set while it blocks."""
        if not block or self.qsize():
            return super().get(block, timeout)
        self.waiting = True
        try:
            return super().get(block, timeout)
        finally:
            self.waiting = False


class LazyWriter:
    """The writer of one WebSocket connection: a task while packets are queued, none in between."""

    def __init__(self, sock, ws, idle_timeout):
        """Write `sock`'s queued packets to `ws` (Engine.IO's WebSocket wrapper); close after `idle_timeout` s idle."""
        self._sock = sock
        self._ws = ws
        self._task = None
        self._finished = gevent.event.Event()
        # `again` restarts it from now; a stopped libev timer `start`ed again would only resume.
        self._idle = gevent.get_hub().loop.timer(idle_timeout, idle_timeout)
        sock.queue.on_put = self._wake
        sock.queue.waiting = True
        self._idle.again(self._timed_out)
        if sock.queue.qsize():
            self._wake()

    def _wake(self):
        """A packet was queued: start writing, unless a task already is (or the writer is done)."""
        if self._task is None and not self._finished.is_set():
            self._sock.queue.waiting = False
            self._idle.stop()
            self._task = gevent.spawn(self._write_queued)

    def _write_queued(self):
        """Send everything queued, in order; end at an empty queue, or finish at `None` or a failed send."""
        queue = self._sock.queue
        try:
            while queue.qsize():
                pkt = queue.get(block=False)
                queue.task_done()
                if pkt is None:
                    break
                self._ws.send(pkt.encode())
            else:
                self._task = None
                queue.waiting = True
                self._idle.again(self._timed_out)
                return
        except Exception:  # Engine.IO's writer ends at any failed send, and so does this one
            pass
        self._finish()

    def _timed_out(self):
        """In the event loop: nothing queued for the whole idle timeout; close from a task (it writes)."""
        self._idle.stop()
        if self._task is None and not self._finished.is_set():
            self._sock.queue.waiting = False
            self._task = gevent.spawn(self._finish)

    def _finish(self):
        """Close the WebSocket, as Engine.IO's writer does on its way out, and let `join` return."""
        self._idle.stop()
        self._sock.queue.on_put = None
        try:
            self._ws.close()
        finally:
            self._task = None
            self._finished.set()

    def join(self, timeout=None):
        """Wait until the writer has finished (after `None`, a failed send or the idle timeout)."""
        self._finished.wait(timeout)


class LazyWriters:
    """Engine.IO's `start_background_task`, giving each WebSocket connection a `LazyWriter`."""

    def __init__(self, eio):
        """Serve `eio`, an Engine.IO server in gevent mode."""
        self._eio = eio
        self._start_task = eio.start_background_task
        #: WebSocket writers started lazily.
        self.writers = 0

    def install(self):
        """Take over `start_background_task`, and give new sockets a `WriterQueue`, on this Engine.IO server only."""
        self._eio.start_background_task = self.start_background_task
        self._eio.create_queue = WriterQueue
        return self

    def start_background_task(self, target, *args, **kwargs):
        """Start `target` as before, unless it is Engine.IO's WebSocket writer: then a `LazyWriter`."""
        code = getattr(target, "__code__", None)
        if getattr(target, "__qualname__", None) != WRITER or code.co_freevars != ("self", "ws") or args or kwargs:
            return self._start_task(target, *args, **kwargs)
        sock, ws = (cell.cell_contents for cell in target.__closure__)
        if not hasattr(sock.queue, "on_put"):
            return self._start_task(target)
        self.writers += 1
        return LazyWriter(sock, ws, self._eio.ping_interval + self._eio.ping_timeout)
