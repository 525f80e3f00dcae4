"""The Admin UI on a scaled-out deployment: 3 instances with ADMIN_PASSWORD on one Redis queue, behind nginx.

A python-socketio client logs in to `/admin` through nginx, as the UI does,
on one instance. What python-socketio's admin namespace carries through the
queue reaches it from every instance (each instance's server stats, its
sockets' arrivals and events); what it answers from one process's own
tables covers that instance only (the sockets listed at login, and the
disconnect/join/leave buttons). deploy/README.md says the same.
"""

import re
import shutil
import tempfile
import threading
import time

import pytest
import socketio

from playground.admin import ADMIN_NAMESPACE
from tests.figures import record
from tests.scale.cluster import INSTANCES, Cluster, wait_until

pytestmark = pytest.mark.scale

PASSWORD = "scale-out admin passphrase"
SUITE = "scale-out admin UI"
PING_INTERVAL = 1


@pytest.fixture(scope="module")
def admin_cluster():
    """A deployment of its own with the Admin UI on every instance (the suite's shared one has it off)."""
    workdir = tempfile.mkdtemp(prefix="scale-admin-")
    # A ping a second, so that a socket's periodic re-announcement (at each ping) is seen within the test.
    deployment = Cluster(workdir, env={"ADMIN_PASSWORD": PASSWORD, "PING_INTERVAL": str(PING_INTERVAL)})
    try:
        yield deployment.start()
    finally:
        deployment.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def admin_cluster_clean(admin_cluster):
    """The admin deployment; the test's `/test` clients are gone afterwards."""
    yield admin_cluster
    admin_cluster.disconnect_all()


class AdminWatcher:
    """A python-socketio client logged in to `/admin` through nginx, on one chosen instance, keeping what it hears."""

    def __init__(self, cluster, key):
        """Log in with sticky key `key`."""
        self.heard = []
        self._lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record, namespace=ADMIN_NAMESPACE)
        self.sio.connect(
            f"{cluster.nginx.url}/?client={key}",
            namespaces=[ADMIN_NAMESPACE],
            transports=["websocket"],
            auth={"username": "admin", "password": PASSWORD},
            wait_timeout=10,
        )

    def _record(self, event, *args):
        """Keep (event, args) in arrival order."""
        with self._lock:
            self.heard.append((event, args))

    def of(self, event):
        """The argument tuples of every `event` heard so far."""
        with self._lock:
            return [args for name, args in self.heard if name == event]

    def close(self):
        """Log out."""
        self.sio.disconnect()


def _server_ids(cluster):
    """Each instance's server_id, from the line it logs when it turns the Admin UI on."""
    ids = []
    for instance in cluster.instances:
        match = re.search(r"Admin UI on at /admin/ mode=development read_only=False server_id=(\S+)", instance.output())
        assert match, instance.output()[-2000:]
        ids.append(match.group(1))
    return ids


def test_the_ui_lists_every_instance_as_a_server(admin_cluster_clean):
    cluster = admin_cluster_clean
    server_ids = _server_ids(cluster)
    assert len(set(server_ids)) == INSTANCES
    key = cluster.sticky_keys(1)[0][0]
    watcher = AdminWatcher(cluster, key)
    started = time.monotonic()
    wait_until(lambda: {s[0]["serverId"] for s in watcher.of("server_stats")} == set(server_ids), 10, "all 3 servers")
    record(SUITE, "servers listed by one UI connection", f"{INSTANCES} of {INSTANCES}")
    record(SUITE, "seconds until all three were listed", f"{time.monotonic() - started:.1f}")
    watcher.close()


def test_arrivals_and_events_on_every_instance_reach_the_ui_through_the_queue(admin_cluster_clean):
    cluster = admin_cluster_clean
    watcher = AdminWatcher(cluster, cluster.sticky_keys(1)[0][0])
    clients = cluster.spread(per_instance=1, transports=("websocket",))
    sids = {client.sid for client in clients}
    wait_until(
        lambda: sids <= {args[0]["id"] for args in watcher.of("socket_connected")}, 10, "every arrival announced"
    )
    for client in clients:
        assert client.call("my event", {"data": f"from instance {client.instance}"})["ok"]
    wait_until(
        lambda: sids <= {args[1] for args in watcher.of("event_received") if args[2][0] == "my event"},
        10,
        "every event announced",
    )
    # A broadcast is reported as sent only to the sender's instance's sockets: the others deliver it from
    # the queue without passing through the instrumented emit.
    sender = next(client for client in clients if client.instance == 1)
    assert sender.call("my broadcast event", {"data": "to everyone"})["ok"]
    for client in clients:
        client.wait_until(lambda c: any(p["data"] == "to everyone" for p in c.of("my response")))
    time.sleep(0.5)
    reported = {
        args[1] for args in watcher.of("event_sent") if args[2][0] == "my response" and "to everyone" in str(args[2])
    }
    record(SUITE, "recipients of one broadcast reported as sent", f"{len(reported)} of {len(clients)}")
    assert reported == {sender.sid}
    watcher.close()


def test_what_one_instance_answers_from_its_own_tables_covers_that_instance_only(admin_cluster_clean):
    """Documented in deploy/README.md: the sockets sent at login, and the UI's disconnect button."""
    cluster = admin_cluster_clean
    clients = cluster.spread(per_instance=1, transports=("websocket",))
    watcher = AdminWatcher(cluster, cluster.sticky_keys(1)[0][0])
    wait_until(lambda: watcher.of("all_sockets"), 5, "the sockets sent at login")
    listed = {socket["id"] for socket in watcher.of("all_sockets")[0][0] if socket["nsp"] == "/test"}
    assert listed == {client.sid for client in clients if client.instance == 0}
    # The others are announced again at their next ping, through the queue.
    sids = {client.sid for client in clients}
    wait_until(
        lambda: sids <= {args[0]["id"] for args in watcher.of("socket_connected")},
        PING_INTERVAL + 3,
        "every socket re-announced at a ping",
    )
    far = next(client for client in clients if client.instance == 1)
    watcher.sio.emit("_disconnect", ("/test", False, far.sid), namespace=ADMIN_NAMESPACE)
    time.sleep(1.0)
    assert far.sio.connected, "a socket on another instance is out of the disconnect button's reach"
    watcher.close()
