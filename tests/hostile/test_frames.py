"""The transport below Engine.IO against an attacker: oversized and endless frames, floods, stalls, polling bodies.

Each test sends hand-made bytes (tests/hostile/rawframes.py) to a real
server, both launchers, next to an `Observer` that keeps pinging: the
frame is refused from its header (close code 1009, one WARNING line), the
server's memory does not grow by what the header declared, and the
observer is not held up.
"""

import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.hostile.conftest import report, rss_kib, worker_pid
from tests.hostile.rawframes import (
    CONTINUATION,
    TEXT,
    Observer,
    frame,
    frame_header,
    open_websocket,
    polling_handshake,
    raw_post,
    read_close,
    send_in_background,
    wait_closed,
)
from tests.live import LiveClient
from tests.servers import PROJECT_ROOT, app_py_command, procfile_command

pytestmark = pytest.mark.integration

LIMIT = 64 * 1024
LAUNCHERS = {"app.py": app_py_command, "Procfile": procfile_command}
MIB = 1024 * 1024


@pytest.fixture(scope="module", params=list(LAUNCHERS))
def server(request, serve):
    """A real server with flood control off, so that the observer may ping as fast as it likes."""
    with serve(env={"RATE_LIMIT": "0"}, command=LAUNCHERS[request.param]()) as process:
        process.launcher = request.param
        yield process


@pytest.fixture
def observer(server):
    """A client pinging every 5 ms throughout the test."""
    watcher = Observer(server.port)
    time.sleep(0.3)  # warm: the first round trips include the connection's set-up
    yield watcher.mark()
    watcher.stop()


def _payload_chunks(total, chunk=256 * 1024):
    """`total` bytes of 'x' (valid text), in chunks, produced lazily."""
    block = b"x" * chunk
    for start in range(0, total, chunk):
        yield block[: min(chunk, total - start)]


CASES = {
    # name: (declared length, bytes of payload actually sent)
    "1MB": (1_000_000, 1_000_000),
    "100MB partly sent": (100 * 1_000_000, 16 * MIB),
    "2^62 declared": (1 << 62, 1 * MIB),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_oversized_frame_is_refused_from_its_header(server, observer, case):
    """Closed with 1009 within 100 ms of the header, without reading it: RSS flat, the observer unhurt."""
    declared, sent = CASES[case]
    pid = worker_pid(server)
    attacker = open_websocket(server.port)
    before_rss, before_log = rss_kib(pid), server.output()
    start = time.monotonic()
    attacker.sock.sendall(frame_header(declared))
    thread, _ = send_in_background(attacker.sock, _payload_chunks(sent))
    code, seconds = read_close(attacker, timeout=10, start=start)
    growth, gap = _aftermath(f"{server.launcher}, {case} frame", thread, pid, before_rss, observer)
    report(f"{server.launcher}, {case} frame: close code, close after header (ms)", f"{code}, {seconds * 1000:.1f}")
    assert code == 1009 and seconds < 0.1
    assert growth < 5
    assert gap < 100
    lines = _warnings(server, before_log, "exceeds MAX_HTTP_BUFFER_SIZE")
    assert len(lines) == 1 and f"a WebSocket frame of {declared} bytes" in lines[0], lines


def test_endless_fragments_are_refused_once_past_the_limit(server, observer):
    """300 non-final 60 KiB fragments: closed with 1009 at the second one, the rest never read."""
    pid = worker_pid(server)
    attacker = open_websocket(server.port)
    before_rss, before_log = rss_kib(pid), server.output()
    fragment = b"x" * (60 * 1024)
    frames = (frame(fragment, TEXT if n == 0 else CONTINUATION, fin=False) for n in range(300))
    thread, sent = send_in_background(attacker.sock, frames)
    code, _ = read_close(attacker, timeout=10)
    label = f"{server.launcher}, 300 x 60 KiB fragments"
    growth, gap = _aftermath(label, thread, pid, before_rss, observer)
    report(f"{label}: close code, MiB the client got out", f"{code}, {sent[0] / MIB:.1f}")
    assert code == 1009
    assert growth < 5
    assert gap < 100
    lines = _warnings(server, before_log, "exceeds MAX_HTTP_BUFFER_SIZE")
    assert len(lines) == 1 and "a fragmented WebSocket message of over 122880 bytes" in lines[0], lines


def test_frames_just_under_the_limit_back_to_back_do_not_starve_the_others(server, observer):
    """A client writing 64 KiB frames as fast as it can for 5 s: the observer's ping p99 stays under 50 ms."""
    flooder = subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.rawframes", str(server.port), "5", str(LIMIT - 100)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert flooder.stdout.readline().strip() == "flooding"
    observer.mark()
    out, _ = flooder.communicate(timeout=30)
    sent = int(out.split()[-1])
    p99, gap, pings = observer.rtt_ms(0.99), observer.longest_gap_ms(), len(observer.window())
    label = f"{server.launcher}, 5 s of 64 KiB frames back to back"
    report(f"{label}: frames sent, observer pings", f"{sent}, {pings}")
    report(f"{label}: observer ping median, p99, longest gap (ms)", f"{observer.rtt_ms(0.5)}, {p99}, {gap}")
    assert sent > 1000, "the flood was too slow to test anything"
    assert p99 < 50


@pytest.fixture(scope="module", params=list(LAUNCHERS))
def quick_pings(request, serve):
    """A server that pings every second and gives up on a silent client after one more."""
    env = {"PING_INTERVAL": "1", "PING_TIMEOUT": "1"}
    with serve(env=env, command=LAUNCHERS[request.param]()) as process:
        process.launcher = request.param
        yield process


@pytest.mark.parametrize("stall", ["frame", "silence"])
def test_a_stalled_frame_or_silence_gets_the_connection_closed(quick_pings, stall):
    """Half a frame and then nothing, or nothing at all: the server closes the TCP connection within 5 s."""
    attacker = open_websocket(quick_pings.port)
    before = quick_pings.output()
    if stall == "frame":
        attacker.sock.sendall(frame_header(60_000) + b"x" * 1000)
    seconds = wait_closed(attacker.sock, timeout=8)
    report(f"{quick_pings.launcher}, {stall} at PING_INTERVAL=1 PING_TIMEOUT=1: TCP closed after (s)", _round(seconds))
    assert seconds is not None and seconds < 5
    if stall == "frame":
        assert len(_warnings(quick_pings, before, "did not arrive within 1s")) == 1


def test_a_stalled_polling_body_gets_408(quick_pings):
    """Ten bytes of a 500-byte body, then silence: 408 after PING_TIMEOUT (1 s), the connection closed."""
    sid = polling_handshake(quick_pings.port)
    status, seconds, closed = raw_post(quick_pings.port, sid, ["Content-Length: 500"], [b"x" * 10])
    report(
        f"{quick_pings.launcher}, stalled polling body at PING_TIMEOUT=1: answer, after (s)", f"{status}, {seconds:.2f}"
    )
    assert status.startswith("HTTP/1.1 408") and 1 <= seconds < 3
    assert closed


@pytest.mark.parametrize("body", ["Content-Length", "chunked"])
def test_an_oversized_polling_post_gets_413_at_once(server, body):
    """100 MB announced (or chunks past the limit): 413 within 1 s, the connection closed, one log line."""
    sid = polling_handshake(server.port)
    before = server.output()
    if body == "Content-Length":
        headers, chunks = ["Content-Length: 100000000", "Content-Type: text/plain"], _payload_chunks(4 * MIB)
    else:
        chunk = b"x" * 16384
        headers = ["Transfer-Encoding: chunked", "Content-Type: text/plain"]
        chunks = (b"4000\r\n" + chunk + b"\r\n" for _ in range(256))
    status, seconds, closed = raw_post(server.port, sid, headers, chunks)
    report(f"{server.launcher}, oversized polling POST ({body}): answer, after (ms)", f"{status}, {seconds * 1000:.0f}")
    assert status.startswith("HTTP/1.1 413") and seconds < 1
    assert closed
    lines = _warnings(server, before, "exceeds MAX_HTTP_BUFFER_SIZE")
    assert len(lines) == 1 and "413" in lines[0], lines


def test_a_polling_post_without_length_or_chunks_gets_411(server):
    """A POST that says nothing of its body's size is refused, not answered `ok` with its packets dropped."""
    sid = polling_handshake(server.port)
    status, _, _ = raw_post(server.port, sid, ["Content-Type: text/plain"], [b"42/test,"])
    assert status.startswith("HTTP/1.1 411"), status


def _aftermath(label, sender, pid, before_rss, observer):
    """Once the attack is over: the server's RSS growth (MiB) and the observer's longest gap (ms), reported."""
    sender.join(10)
    time.sleep(0.3)
    growth = (rss_kib(pid) - before_rss) / 1024
    gap = observer.longest_gap_ms()
    report(f"{label}: server RSS growth (MiB), observer longest ping gap (ms)", f"{growth:.1f}, {gap}")
    return growth, gap


def _warnings(server, before, text):
    """The WARNING lines with `text` the server printed since `before` (its output then)."""
    time.sleep(0.1)
    output = server.output()[len(before) :]
    return [line for line in output.splitlines() if " WARNING " in line and text in line]


@pytest.fixture(scope="module")
def limited(serve):
    """A server with the default flood control: RATE_LIMIT=20, so packets paced at 5 x 20 per second."""
    with serve() as process:
        yield process


def test_a_polling_flood_is_paced_like_a_websocket(limited):
    """16 packets per POST as fast as answers come: at most 5 x RATE_LIMIT packets/s (after the burst) handled.

    A polite polling client next to it still gets its echo at once: the pace holds the flooder's requests only.
    """
    rate, burst, seconds = 5 * 20, 2 * 5 * 20, 3
    sid = polling_handshake(limited.port)
    url = f"{limited.url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    body = "\x1e".join(["3"] * 16)  # pongs: the cheapest packets, answered by nothing but "OK"
    posted, answers = [0], set()

    def flood():
        with requests.Session() as session:
            start = time.monotonic()
            while time.monotonic() - start < seconds:
                answers.add(session.post(url, data=body, timeout=10).text)
                posted[0] += 16
            posted.append(time.monotonic() - start)

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    time.sleep(1)
    polite = LiveClient(limited.url, "polling")
    started = time.monotonic()
    assert polite.call("my event", {"data": "still here"})["ok"] is True
    polite_ms = 1000 * (time.monotonic() - started)
    polite.disconnect()
    flooder.join(seconds + 10)
    packets, elapsed = posted
    report(
        "polling flood, 16 packets per POST: packets handled per second (limit 100 after a burst of 200)",
        round(packets / elapsed),
    )
    report("polling flood: a polite polling client's echo meanwhile (ms)", round(polite_ms, 1))
    assert answers == {"OK"}
    assert packets <= burst + rate * elapsed + 16, (packets, elapsed)
    assert packets >= rate * elapsed / 2, "the pace let far fewer through than it should"
    assert polite_ms < 500


def _round(seconds):
    """A duration for the summary: two decimals, or None (it never happened)."""
    return None if seconds is None else round(seconds, 2)
