"""The process-wide memory settings: `app.py` applies them, and each connection is the smaller for it."""

import json
import subprocess
import sys

from tests.servers import PROJECT_ROOT

# Run in a process of its own: the settings are process-wide, and this one keeps gevent's defaults.
PROBE = """
import json, io
import app  # what `python app.py` and gunicorn's worker import
import gevent, gevent.socket
a, b = gevent.socket.socketpair()
reader = a.makefile("rb", -1)  # how gevent's WSGI server opens each connection
task = gevent.spawn(lambda: None)
print(json.dumps({
    "buffer_size": io.DEFAULT_BUFFER_SIZE,
    "reader_bytes": reader.__sizeof__(),
    "spawning_stack": task.spawning_stack is not None,
    "track_greenlet_tree": gevent.config.track_greenlet_tree,
}))
"""


def probe():
    """What a process that imported app.py sees."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT_ROOT,
        env={"FEED_INTERVAL": "0", "SECRET_KEY": "test", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_app_py_reads_connections_through_a_small_buffer_and_keeps_no_greenlet_tree():
    """After `import app`: a 512-byte read buffer per connection (not 8 KiB) and no spawning stacks kept."""
    from playground.memory import READ_BUFFER

    seen = probe()
    assert seen["buffer_size"] == READ_BUFFER == 512
    assert seen["reader_bytes"] < 2 * READ_BUFFER, "the connection's buffered reader holds the small buffer"
    assert (seen["spawning_stack"], seen["track_greenlet_tree"]) == (False, False)
