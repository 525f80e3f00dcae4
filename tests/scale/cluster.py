"""A real scale-out deployment for the tests: redis-server, 3 instances of the Procfile's `web` command, nginx.

Everything runs as this test's own processes on free loopback ports; nginx
runs the shipped deploy/nginx.conf with only its ports rewritten. Clients
pick their instance with the `client` query parameter that the shipped
config hashes on, so the tests can put clients on every instance and know
which one each is on.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest
import redis

from tests.live import LiveClient
from tests.servers import PROJECT_ROOT, ServerProcess, free_port, procfile_command

FEED_INTERVAL = 0.5
INSTANCES = 3
REDIS_PASSWORD = "s3cret-in-the-url"
NGINX_CONF = os.path.join(PROJECT_ROOT, "deploy", "nginx.conf")


def run_announce(text, env):
    """Run the external emitter as the README does, `python -m playground.announce TEXT`, with `env`."""
    return subprocess.run(
        [sys.executable, "-m", "playground.announce", text],
        check=False,
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# An Engine.IO long-polling request, as a client's first one.
ENGINEIO_PATH = "/socket.io/?EIO=4&transport=polling"

# What the shipped config listens on and forwards to; the only text the tests rewrite.
SHIPPED_LISTEN = "127.0.0.1:8080"
SHIPPED_SERVERS = ["127.0.0.1:5001", "127.0.0.1:5002", "127.0.0.1:5003"]


# Seconds to wait for an event; generous, as the machine is shared with other test runs.
DELIVERY_TIMEOUT = 10


def greeting_free(client):
    """The `data` of every `my response` after the greeting."""
    return [payload["data"] for payload in client.of("my response") if payload["data"] != "Connected"]


def settle(clients, sender):
    """Broadcast a marker from `sender` and wait until every client has it: all earlier emits have arrived."""
    marker = f"settle-{time.monotonic_ns()}"
    sender.call("my broadcast event", {"data": marker})
    for client in clients:
        client.wait_until(lambda c: marker in greeting_free(c), DELIVERY_TIMEOUT, f"{marker} at {client.key}")


def one_feed_rate(clients, start, end):
    """Check that every client got the same numbers in the same order; return numbers per interval.

    A number emitted right at `start` or `end` may reach one instance's
    clients just inside the window and another's just outside, so the
    sequence compared is the first client's, half an interval in from each
    edge, found as one unbroken run in each other client's numbers.
    """
    margin = FEED_INTERVAL / 2
    numbers = [payload["number"] for at, event, payload in list(clients[0].arrivals) if event == "newnumber"]
    times = [at for at, event, _ in list(clients[0].arrivals) if event == "newnumber"]
    core = [number for number, at in zip(numbers, times, strict=True) if start + margin < at < end - margin]
    assert len(core) >= 2, f"too few numbers to compare: {core}"
    for client in clients:
        theirs = client.numbers_since(start - 2 * FEED_INTERVAL)
        runs = (theirs[i : i + len(core)] for i in range(len(theirs) - len(core) + 1))
        assert core in runs, f"{client.key} on instance {client.instance} got {theirs}, not the run {core}"
    in_window = sum(1 for at in times if start <= at < end)
    return in_window / ((end - start) / FEED_INTERVAL)


def require(program, package):
    """The path of `program`; a skip naming the apt package when it is missing (a failure under CI=true)."""
    path = shutil.which(program) or next(
        (p for p in (f"/usr/sbin/{program}", f"/usr/bin/{program}") if os.path.exists(p)), None
    )
    if path is None:
        message = f"{program} is not installed: apt-get install {package}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def wait_until(condition, timeout, what, step=0.05):
    """Poll `condition()` until it returns something truthy; return it, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"{what} did not happen within {timeout}s")


class RedisServer:
    """redis-server on a free loopback port, no persistence, with a password (so URL redaction is tested)."""

    def __init__(self, workdir):
        """Prepare (but do not start) a server whose files go to `workdir`."""
        self.program = require("redis-server", "redis-server")
        self.port = free_port()
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "redis.log")
        self.process = None

    @property
    def url(self):
        """The queue URL the instances use."""
        return f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.port}/0"

    def start(self):
        """Start on the same port as before, and wait until it answers PING."""
        command = [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--requirepass", REDIS_PASSWORD, "--dir", self.workdir, "--logfile", self.log_path]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_until(lambda: self._answers(client), 10, "redis-server answering")
        return self

    @staticmethod
    def _answers(client):
        """Whether PING succeeds."""
        try:
            return client.ping()
        except redis.RedisError:
            return False

    def kill(self):
        """SIGKILL: Redis vanishes without a word, and its data with it."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class Nginx:
    """nginx running the shipped deploy/nginx.conf with only the ports rewritten, in its own prefix."""

    def __init__(self, workdir, upstream_ports, transform=None):
        """Prepare nginx in front of `upstream_ports`; `transform` may rewrite the config further (negative tests)."""
        self.program = require("nginx", "nginx-light")
        self.port = free_port()
        self.prefix = tempfile.mkdtemp(prefix="nginx-", dir=workdir)
        # nginx's workers run as `nobody` when the tests run as root: they must reach the prefix.
        os.chmod(self.prefix, 0o755)
        with open(NGINX_CONF) as shipped:
            text = shipped.read()
        ports = {SHIPPED_LISTEN: f"127.0.0.1:{self.port}"}
        ports.update(zip(SHIPPED_SERVERS, (f"127.0.0.1:{port}" for port in upstream_ports), strict=False))
        # One pass over whole addresses, so that a new port is never rewritten again.
        pattern = re.compile("|".join(rf"{re.escape(address)}\b" for address in [SHIPPED_LISTEN, *SHIPPED_SERVERS]))
        assert sorted(pattern.findall(text)) == sorted([SHIPPED_LISTEN, *SHIPPED_SERVERS]), "each address once"
        # Fewer instances than the shipped three: their `server` lines go.
        for unused in SHIPPED_SERVERS[len(upstream_ports) :]:
            text = re.sub(rf"^\s*server {re.escape(unused)}\b.*\n", "", text, flags=re.M)
        text = pattern.sub(lambda match: ports[match.group(0)], text)
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as conf:
            conf.write(transform(text) if transform else text)
        self.process = None

    @property
    def url(self):
        """The one address every client uses."""
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        """Run nginx in the foreground as a child of the tests; wait until it answers."""
        directives = f"daemon off; pid {self.prefix}/nginx.pid; error_log {self.prefix}/error.log;"
        self.process = subprocess.Popen(
            [self.program, "-p", self.prefix, "-c", self.conf, "-g", directives],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._answers, 10, "nginx answering")
        return self

    def _answers(self):
        """Whether nginx answers /healthz from some instance."""
        if self.process.poll() is not None:
            raise RuntimeError(f"nginx exited with {self.process.returncode}: {self.error_log()}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def error_log(self):
        """What nginx complained about."""
        try:
            with open(os.path.join(self.prefix, "error.log")) as log:
                return log.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        """Stop nginx (SIGQUIT would wait for open WebSockets; SIGTERM does not)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)


class ScaleClient(LiveClient):
    """A live client that also notes when each event arrived and which instance it was sent to."""

    def __init__(self, url, transport, key, instance, reconnect=False, **options):
        """Connect through nginx with sticky key `key`, which the cluster mapped to `instance`."""
        self.arrivals = []
        self.key = key
        self.instance = instance
        self.transport = transport
        super().__init__(f"{url}/?client={key}", transport, **options)
        # LiveClient never reconnects; a client whose instance dies here should, as a browser does.
        self.sio.reconnection = reconnect

    def _recorder(self, event, reply=None):
        """Record (event, payload) like LiveClient, plus (arrival time, event, payload); ack like LiveClient."""
        record = super()._recorder(event, reply)

        def timed(*args):
            self.arrivals.append((time.monotonic(), event, args[0] if args else None))
            return record(*args)

        return timed

    def current_sid(self):
        """The sid of the current connection (a new one after a reconnect)."""
        return self.sio.get_sid("/test")

    def numbers_since(self, since):
        """The `newnumber` values that arrived after `since` (a monotonic time)."""
        return [payload["number"] for at, event, payload in list(self.arrivals) if event == "newnumber" and at > since]


class Cluster:
    """Redis, the instances and nginx, with what the tests need to break and mend them."""

    def __init__(self, workdir, size=INSTANCES, env=None):
        """Prepare Redis, `size` instances and nginx, on free ports, their files under `workdir`; `env` for each."""
        # nginx's workers run as `nobody` when the tests run as root: they must reach the prefix inside.
        os.chmod(workdir, 0o755)
        self.workdir = workdir
        self.size = size
        self.env = env or {}
        self.redis = RedisServer(workdir)
        self.ports = [free_port() for _ in range(size)]
        self.instances = [self._instance(port) for port in self.ports]
        self.nginx = Nginx(workdir, self.ports)
        self.clients = []
        self.retired = []
        self._probes = 0

    def _instance(self, port):
        """One instance: the Procfile's `web` command, exactly as written, on the queue."""
        env = {
            "SOCKETIO_MESSAGE_QUEUE": self.redis.url,
            "FEED_INTERVAL": str(FEED_INTERVAL),
            "SECRET_KEY": "scale-test",
            "LOG_LEVEL": "INFO",
            **self.env,
        }
        return ServerProcess(procfile_command(), env=env, port=port)

    def start(self):
        """Start Redis, the instances, then nginx."""
        self.redis.start()
        for instance in self.instances:
            instance.start()
        self.nginx.start()
        return self

    def stop(self):
        """Stop everything, clients first."""
        self.disconnect_all()
        self.nginx.stop()
        stoppers = [threading.Thread(target=instance.stop) for instance in self.instances]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(20)
        for instance in self.instances + self.retired:
            os.unlink(instance.log_path)
        self.redis.kill()

    def mend(self):
        """Bring back whatever an earlier test killed: Redis, then any dead instance on its old port."""
        if self.redis.process.poll() is not None:
            self.redis.start()
        restarted = False
        for index, instance in enumerate(self.instances):
            if instance.process.poll() is not None:
                self.retired.append(instance)
                self.instances[index] = self._instance(instance.port).start()
                restarted = True
        if restarted:
            # nginx avoids an instance for fail_timeout after it failed; a fresh nginx forgets that.
            self.nginx.stop()
            self.nginx.start()

    def sticky_keys(self, per_instance, timeout=20):
        """For each instance, `per_instance` fresh `client` keys that nginx sends to it.

        Opens an Engine.IO session through nginx with each candidate key, then
        asks every instance directly to close that session: only the one nginx
        chose knows it (the others answer 400), which also cleans it up.
        """
        found = {index: [] for index in range(self.size)}
        deadline = time.monotonic() + timeout
        while any(len(keys) < per_instance for keys in found.values()):
            assert time.monotonic() < deadline, f"nginx did not spread keys over all instances: {found}"
            self._probes += 1
            key = f"probe{self._probes}"
            with urllib.request.urlopen(f"{self.nginx.url}{ENGINEIO_PATH}&client={key}", timeout=5) as response:
                sid = json.loads(response.read().decode()[1:])["sid"]  # the OPEN packet: "0" + JSON
            owners = [index for index, instance in enumerate(self.instances) if self._closes(instance, sid)]
            assert len(owners) == 1, f"session {sid} of key {key} is on instances {owners}"
            if len(found[owners[0]]) < per_instance:
                found[owners[0]].append(key)
        return found

    @staticmethod
    def _closes(instance, sid):
        """Whether `instance` holds the Engine.IO session `sid`: it accepts a CLOSE packet for it."""
        request = urllib.request.Request(f"{instance.url}{ENGINEIO_PATH}&sid={sid}", data=b"1", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status == 200
        except urllib.error.HTTPError as error:
            assert error.code == 400, error
            return False

    def connect(self, key, instance, transport="websocket", **options):
        """A client through nginx with sticky key `key`; disconnected at teardown."""
        client = ScaleClient(self.nginx.url, transport, key, instance, **options)
        self.clients.append(client)
        return client

    def spread(self, per_instance=2, transports=("websocket", "polling"), **options):
        """Clients on every instance, `per_instance` each, alternating transports; checked via each /healthz."""
        before = [instance.health()["clients"] for instance in self.instances]
        keys = self.sticky_keys(per_instance)
        made = []
        for index in range(self.size):
            for number, key in enumerate(keys[index]):
                made.append(self.connect(key, index, transports[number % len(transports)], **options))
        after = [instance.health()["clients"] for instance in self.instances]
        assert [a - b for a, b in zip(after, before, strict=True)] == [per_instance] * self.size, (before, after)
        return made

    def disconnect_all(self):
        """Disconnect every client the tests made, and wait until the instances have seen them go."""
        # In parallel: a polling client's disconnect waits for its pending long-poll.
        closers = [threading.Thread(target=client.shutdown, daemon=True) for client in self.clients]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join(15)
        self.clients.clear()
        live = [instance for instance in self.instances if instance.process.poll() is None]
        wait_until(lambda: all(instance.health()["clients"] == 0 for instance in live), 10, "every client gone")

    def leaders(self):
        """The indexes of the live instances whose last word on the feed's lock is that they took it."""
        found = []
        for index, instance in enumerate(self.instances):
            if instance.process.poll() is not None:
                continue
            said = re.findall(r"feed leadership (taken|lost|released)", instance.output())
            if said and said[-1] == "taken":
                found.append(index)
        return found

    def leader(self):
        """The index of the one instance that feeds, or None while there is not exactly one."""
        found = self.leaders()
        return found[0] if len(found) == 1 else None


@contextlib.contextmanager
def running_cluster(prefix="scale-", **options):
    """A `Cluster` (built with `options`) started in a fresh directory, stopped and removed afterwards."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    deployment = Cluster(workdir, **options)
    try:
        yield deployment.start()
    finally:
        deployment.stop()
        shutil.rmtree(workdir, ignore_errors=True)
