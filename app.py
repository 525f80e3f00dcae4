"""Entry point: `python app.py` serves the playground with gevent; gunicorn imports `app` from here.

The monkey-patch comes first, before anything else is imported, so that
sockets, locks and the Redis client all cooperate with gevent.
"""

from gevent import monkey

monkey.patch_all()

from playground import create_app, socketio  # noqa: E402

app = create_app()

if __name__ == "__main__":
    host, port = app.config["HOST"], app.config["PORT"]
    app.logger.info("serving on http://%s:%s/", host, port)
    socketio.run(app, host=host, port=port)
