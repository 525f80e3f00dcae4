"""gunicorn settings for production: the Procfile's `web` command loads this file.

One gevent-websocket worker per instance: Socket.IO keeps each client's
state in the process that accepted it, so more processes means more
instances behind a sticky load balancer on a message queue (see deploy/).
"""

import os

worker_class = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
workers = 1
# gevent workers accept at most 1,000 connections by default; one process
# here is meant to hold 10,000 idle websockets (see docs/benchmarks.md).
worker_connections = 20000
bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"

# Clients hold their connections open for ever; without a short grace
# period a deploy or a SIGTERM waits the full default 30 s for them.
graceful_timeout = 3
# gunicorn 27 otherwise opens a control socket under ~/.gunicorn.
control_socket_disable = True

# Logs to stdout/stderr, one line per request, with the client's address
# (and the address a proxy forwarded, when there is one).
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s fwd=%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms'
