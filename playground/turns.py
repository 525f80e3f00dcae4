"""Turns on the event loop: how a greenlet that always has work lets everyone else have theirs.

`gevent.sleep(0)` lets the other ready greenlets run, but not the loop's
own polling of sockets, so a client whose data is already waiting would
still be served before any other. `let_the_loop_run` waits until the loop
has nothing else to do, which includes that polling.
"""

import gevent

#: Seconds to wait, at most, for the event loop to have nothing else to do.
IDLE_WAIT = 0.005


def let_the_loop_run(most=IDLE_WAIT):
    """Return once everything else ready has had its turn, or after `most` seconds if the loop is never idle."""
    with gevent.Timeout(most, False):
        gevent.idle()
