"""Broadcast one line to every playground client from a process that is not a web worker.

    SOCKETIO_MESSAGE_QUEUE=redis://127.0.0.1:6379/0 python -m playground.announce "Maintenance at 18:00"

This is Flask-SocketIO's "emitting from an external process": a `SocketIO`
with a message queue and no app only publishes to the queue, and every web
instance subscribed to it emits `my response` {"data": text, "count": 0,
"announcement": true} to all its clients of /test. It needs the same queue
URL as the web instances (SOCKETIO_MESSAGE_QUEUE, REDIS_URL or --queue).
"""

import argparse
import logging
import sys

from flask_socketio import SocketIO

from . import _redact
from .config import DEFAULTS, NAMESPACE, from_environment
from .messagequeue import QueueManager, RedisLink

log = logging.getLogger("playground.announce")


def announce(text, queue):
    """Publish `text` as an announcement on `queue`; return how many web instances received it (None: Redis down)."""
    manager = QueueManager(queue, RedisLink(_redact(queue)), write_only=True)
    emitter = SocketIO(message_queue=queue, client_manager=manager)
    emitter.emit("my response", {"data": text, "count": 0, "announcement": True}, namespace=NAMESPACE)
    return manager.last_receivers


def main(argv=None):
    """Announce; exit 0 if some instance got it, 1 if Redis is down, 2 on a usage error, 3 if no instance listens."""
    parser = argparse.ArgumentParser(prog="python -m playground.announce", description=__doc__.splitlines()[0])
    parser.add_argument("text", help="what every connected client should read")
    parser.add_argument("--queue", help="message queue URL (default: SOCKETIO_MESSAGE_QUEUE, then REDIS_URL)")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.INFO)

    settings = from_environment()
    queue = args.queue or settings.get("SOCKETIO_MESSAGE_QUEUE")
    if not queue:
        parser.error("no message queue: set SOCKETIO_MESSAGE_QUEUE or REDIS_URL, or pass --queue")
    limit = settings.get("MAX_MESSAGE_LENGTH", DEFAULTS["MAX_MESSAGE_LENGTH"])
    if len(args.text) > limit:
        parser.error(f"the text is {len(args.text)} characters long; the limit is {limit}")

    receivers = announce(args.text, queue)
    if receivers is None:
        return 1
    log.info("announced to %d web instance(s): %r", receivers, args.text)
    return 0 if receivers else 3


if __name__ == "__main__":
    sys.exit(main())
