"""Real server processes for the tests: `python app.py` and the Procfile's `web` command, on free ports.

Every suite that needs a live server (integration, browser, scale-out,
hostile clients) starts it through `ServerProcess`, so they all test the
same commands a user runs.
"""

import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable


#: Ports handed to servers, below Linux's ephemeral range (32768-60999): a port the kernel picks for
#: `bind(0)` is one it may also give a client's outgoing connection before the server binds it, so a
#: suite with thousands of connections would now and then start a server on a port just taken.
SERVER_PORTS = range(20000, 32000)

#: Ports this test process handed out already: a server may not have bound its own yet.
_handed_out = set()


def free_port():
    """A TCP port that nothing on this machine holds right now, outside the ephemeral range."""
    for _ in range(200):
        port = random.choice(SERVER_PORTS)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port between 20000 and 32000")


def procfile_command(process_type="web"):
    """The Procfile's command for `process_type`, exactly as written there."""
    with open(os.path.join(PROJECT_ROOT, "Procfile")) as procfile:
        for line in procfile:
            name, sep, command = line.partition(":")
            if sep and name.strip() == process_type:
                return command.strip()
    raise LookupError(f"no {process_type!r} line in the Procfile")


def app_py_command():
    """How the README runs the app: `python app.py`."""
    return f"{shlex.quote(PYTHON)} app.py"


class ServerProcess:
    """One server started from a shell command line, its output captured to a file.

    The command runs under bash with the virtualenv's bin first on PATH, as
    a Procfile runner would, and `PORT`/`HOST` set to a free loopback port.
    """

    def __init__(self, command, env=None, port=None, host="127.0.0.1"):
        """Prepare (but do not start) a server for `command` with extra `env`."""
        self.command = command
        self.port = port or free_port()
        self.host = host
        self.env = {
            **os.environ,
            "PATH": os.path.dirname(PYTHON) + os.pathsep + os.environ.get("PATH", ""),
            "PORT": str(self.port),
            "HOST": host,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        handle, self.log_path = tempfile.mkstemp(prefix="server-", suffix=".log")
        os.close(handle)
        self.process = None

    @property
    def url(self):
        """The base URL clients connect to."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=20):
        """Start the process and wait until `/healthz` answers."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["bash", "-c", f"exec {self.command}"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"server did not answer within {timeout}s:\n{self.output()}")

    def health(self):
        """The server's `/healthz` answer, as a dict."""
        import json

        with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:
            return json.load(response)

    def output(self):
        """Everything the server has printed so far."""
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def wait_for_output(self, text, timeout=5):
        """Wait until the server has printed `text`; return the whole output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            output = self.output()
            if text in output:
                return output
            time.sleep(0.05)
        raise AssertionError(f"server never printed {text!r}:\n{self.output()}")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signal the process group and wait for it to end; return the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        try:
            os.killpg(self.process.pid, sig)
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(timeout)
        except ProcessLookupError:
            return self.process.wait(timeout)

    def __enter__(self):
        """Start on entering a `with` block."""
        return self.start()

    def __exit__(self, *exc):
        """Stop on leaving it, and remove the log file."""
        self.stop()
        os.unlink(self.log_path)
