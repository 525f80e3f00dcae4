"""`make bench`: every server side by side, one run, the same load; writes docs/benchmarks.md and .png.

Each server is started on a free loopback port pinned to core 0, the Node.js
load generator (bench/loadgen.js) runs pinned to core 1, and every figure is
compared with the others from the same run, as the machines are noisy.
Usage: python -m bench.run [--smoke] [--only NAME ...]
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time

from tests.servers import PROJECT_ROOT, ServerProcess, app_py_command, procfile_command

BENCH_DIR = os.path.join(PROJECT_ROOT, "bench")
DOCS_DIR = os.path.join(PROJECT_ROOT, "docs")
HISTORY = os.path.join(DOCS_DIR, "benchmarks.json")
REPORT = os.path.join(DOCS_DIR, "benchmarks.md")
CHART = os.path.join(DOCS_DIR, "benchmarks.png")
SERVER_CORE, GENERATOR_CORE = "0", "1"

# The playground runs as deployed, except that the rate limit is off: the
# bench floods on purpose and would otherwise measure the limiter (0 = off).
PLAYGROUND_ENV = {"RATE_LIMIT": "0", "RATE_LIMIT_FANOUT": "0"}

#: name -> (command line, extra environment); every command serves /healthz.
SERVERS = {
    "playground-gunicorn": (procfile_command(), PLAYGROUND_ENV),
    "playground-app.py": (app_py_command(), PLAYGROUND_ENV),
    "baseline": (f"{sys.executable} bench/baseline_app.py", {}),
    "node-socket.io": ("node bench/node_server.js", {}),
    "python-socketio-uvicorn": (f"{sys.executable} bench/asgi_server.py", {}),
    # The playground with the Socket.IO Admin UI switched on (issue 13): only the scenario
    # that names it runs against it, to say what the instrumentation costs.
    "playground-admin": (procfile_command(), {**PLAYGROUND_ENV, "ADMIN_PASSWORD": "bench-admin-password"}),
}
#: The servers of a run unless told otherwise; the others run only in the scenarios that name them.
DEFAULT_SERVERS = [name for name in SERVERS if name != "playground-admin"]

#: The scenarios of a full run and of the smoke test: (key, loadgen config).
FULL = [
    ("echo_1", {"scenario": "echo", "clients": 1, "duration": 5, "warmup": 1}),
    ("echo_50", {"scenario": "echo", "clients": 50, "duration": 8, "warmup": 2}),
    ("broadcast_100", {"scenario": "broadcast", "receivers": 100, "duration": 5, "window": 4}),
    ("broadcast_500", {"scenario": "broadcast", "receivers": 500, "duration": 8, "window": 4}),
    # One broadcast at a time, the next once everyone has the last: what one chat message costs.
    ("fanout_100", {"scenario": "broadcast", "receivers": 100, "duration": 5, "window": 1, "warmup": 0.5}),
    ("fanout_500", {"scenario": "broadcast", "receivers": 500, "duration": 8, "window": 1, "warmup": 0.5}),
    # The same echo with the Admin UI on and off, three rounds alternating between them.
    (
        "echo_admin",
        {
            "scenario": "echo",
            "clients": 50,
            "duration": 5,
            "warmup": 1,
            "rounds": 3,
            "only": ["playground-gunicorn", "playground-admin"],
        },
    ),
    # Memory on a process started for this alone: nothing freed by earlier scenarios to reuse.
    (
        "memory_fresh",
        {"scenario": "memory", "clients": 1000, "concurrency": 10, "warmup": 10, "ticks": 3, "hold": 60, "fresh": True},
    ),
    ("connections", {"scenario": "connections", "clients": 1000, "concurrency": 10, "hold": 60}),
    # One at a time: no queueing behind other handshakes, so what is left is the handshake
    # itself, and Nagle's algorithm shows as tens of milliseconds.
    ("connect_sequential", {"scenario": "connections", "clients": 200, "concurrency": 1, "hold": 60}),
    # The connect target compares two servers that run the same code, so their difference is
    # the machine's drift: five short rounds that alternate between them, each pair a ratio.
    (
        "connect_rounds",
        {
            "scenario": "connections",
            "clients": 500,
            "concurrency": 10,
            "hold": 60,
            "rounds": 5,
            "only": ["playground-gunicorn", "playground-app.py"],
        },
    ),
    (
        "capacity",
        {
            "scenario": "capacity",
            "clients": 10000,
            "concurrency": 100,
            "ticks": 3,
            "connectMax": 100,
            "settleMax": 20,
            "timeout": 180,
            "warmup": 10,
            "fresh": True,
            # The same code as playground-gunicorn: skipped to keep `make bench` within 15 minutes.
            "skip": ["playground-app.py"],
        },
    ),
]
SMOKE = [
    ("echo_50", {"scenario": "echo", "clients": 50, "duration": 1, "warmup": 0.3, "pause": 0.1}),
    ("broadcast_100", {"scenario": "broadcast", "receivers": 100, "duration": 1, "window": 4, "pause": 0.1}),
    ("fanout_100", {"scenario": "broadcast", "receivers": 100, "duration": 1, "window": 1, "warmup": 0.2}),
    (
        "echo_admin",
        {
            "scenario": "echo",
            "clients": 10,
            "duration": 0.5,
            "warmup": 0.2,
            "rounds": 2,
            "pause": 0.1,
            "only": ["playground-gunicorn", "playground-admin"],
        },
    ),
    ("connections", {"scenario": "connections", "clients": 100, "concurrency": 10, "hold": 30, "pause": 0.1}),
    (
        "memory_fresh",
        {"scenario": "memory", "clients": 100, "concurrency": 10, "warmup": 5, "ticks": 1, "hold": 30, "fresh": True},
    ),
]


def raise_file_limit():
    """Let this process and its children (servers, generator) hold 10,000+ sockets each."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def raise_priority():
    """Run the servers and the generator at nice -10 where allowed, so other work disturbs them less.

    Children inherit the niceness; every server gets the same, so the
    ratios stay fair. Returns the niceness in effect.
    """
    try:
        return os.nice(-10 - os.nice(0))
    except PermissionError:
        return os.nice(0)


def npm_ci():
    """Install the generator's exact Node packages from bench/package-lock.json, once."""
    if not os.path.isdir(os.path.join(BENCH_DIR, "node_modules", "ws")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BENCH_DIR, check=True)


def pinned(core, argv):
    """`argv` pinned to one CPU core, when taskset exists."""
    return (["taskset", "-c", core] if shutil.which("taskset") else []) + argv


def check_frames():
    """Run check_frames.js: the generator's frames must be the official client's; return its report."""
    done = subprocess.run(
        ["node", "check_frames.js"], check=False, cwd=BENCH_DIR, capture_output=True, text=True, timeout=60
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def process_group_cpu_s(pgid):
    """CPU time (user + system) used so far by every process in the group `pgid`, in seconds.

    Unlike wall-clock rates, CPU time per operation hardly moves when other
    work shares the machine, so it is the steadier figure to compare.
    """
    ticks = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...; utime, stime at 11, 12
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def process_group_rss_kib(pgid):
    """Resident memory of every process in the group `pgid` (gunicorn's master and worker), in KiB."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # fields after the name: state, ppid, pgrp, ...
                continue
            with open(f"/proc/{entry}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except (OSError, StopIteration, IndexError, ValueError):
            continue
    return total


def run_generator(url, config, server=None):
    """Run one scenario of loadgen.js on the generator core; return its result.

    The server's memory is read when the generator starts, or once it says
    "warmed" (a few clients came and went), and again when the clients are
    all there: "connected" in the connections scenario (idle, after 2 s to
    settle), "fed" in the others (each got its greeting and its feed ticks).
    The result then gains `rss_per_connection_kib`.
    """
    argv = pinned(GENERATOR_CORE, ["node", "loadgen.js", json.dumps({**config, "url": url})])
    with subprocess.Popen(argv, cwd=BENCH_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as gen:
        # A server that stops answering must not stall the whole run: the generator is killed.
        watchdog = threading.Timer(config.get("timeout", 120), gen.kill)
        watchdog.start()
        rss_before = process_group_rss_kib(server.process.pid) if server else None
        extra = {}
        for line in gen.stdout:
            message = json.loads(line)
            phase = message.get("phase")
            if phase in ("measuring", "measured") and server:
                extra[phase] = process_group_cpu_s(server.process.pid)
            elif phase == "warmed" and server:
                rss_before = process_group_rss_kib(server.process.pid)
            elif server and (phase == "fed" or (phase == "connected" and config["scenario"] == "connections")):
                if phase == "connected":
                    time.sleep(2)  # let the server settle after the last handshake
                rss_after = process_group_rss_kib(server.process.pid)
                extra = {
                    "rss_before_kib": rss_before,
                    "rss_after_kib": rss_after,
                    "rss_per_connection_kib": (rss_after - rss_before) / message["clients"],
                }
                gen.stdin.write("close\n")
                gen.stdin.flush()
            elif "result" in message:
                watchdog.cancel()
                return {**message["result"], **per_operation_cpu(message["result"], extra)}
            elif "error" in message:
                raise RuntimeError(message["error"])
        watchdog.cancel()
    raise RuntimeError(f"generator ended without a result (killed after {config.get('timeout', 120)} s?)")


def per_operation_cpu(result, extra):
    """Add the server's CPU time per round trip or per delivery over the measured window, in µs."""
    if "measuring" not in extra:
        return extra
    cpu = extra.pop("measured") - extra.pop("measuring")
    operations = result.get("round_trips") or result.get("deliveries")
    return {**extra, "server_cpu_s": cpu, "cpu_us_per_op": 1e6 * cpu / operations if operations else None}


def bench_servers(names, scenarios, log=print):
    """Start every server in `names`, run each scenario against each in turn, stop them; return results.

    Scenario by scenario rather than server by server: the machine's load
    drifts, and the figures that are divided by each other are then measured
    within a minute or two of each other. Idle servers cost next to nothing.
    A scenario may name servers outside `names` (`only`: the Admin UI one),
    which are started when first needed; a `fresh` scenario starts a new
    process of each server for each of its rounds and stops it afterwards.
    Returns {server: {scenario: result}}.
    """
    results = {}
    with contextlib.ExitStack() as stack:
        servers = {}

        def started_server(name):
            """The long-running server `name`, started on first use."""
            if name not in servers:
                servers[name] = stack.enter_context(server_process(name))
            return servers[name]

        for name in names:
            started_server(name)
        for key, config in scenarios:
            chosen = [
                name
                for name in config.get("only", names)
                if name not in config.get("skip", ()) and (name in names or name not in DEFAULT_SERVERS)
            ]
            rounds = {name: [] for name in chosen}
            for round_number in range(config.get("rounds", 1)):
                # Every other round in the reverse order, so that going second (after another
                # server's 500 sockets closed) weighs on each server alike.
                for name in chosen[::-1] if round_number % 2 else chosen:
                    started = time.monotonic()
                    with server_process(name) if config.get("fresh") else contextlib.nullcontext() as fresh:
                        server = fresh or started_server(name)
                        try:
                            result = run_generator(server.url, config, server)
                        except Exception as exc:  # one failed scenario should not lose the whole run
                            result = {"error": f"{type(exc).__name__}: {exc}", "log": server.output()[-1500:]}
                    rounds[name].append(result)
                    log(f"  {name} {key}: {json.dumps(result)} ({time.monotonic() - started:.0f}s)")
                    time.sleep(config.get("pause", 1))  # let closing sockets drain before the next one
            for name, results_of_rounds in rounds.items():
                results.setdefault(name, {})[key] = combine_rounds(results_of_rounds)
    return results


def server_process(name):
    """A `ServerProcess` (not started) for the server `name`, pinned to the server core, feed at 1 Hz."""
    command, env = SERVERS[name]
    return ServerProcess(" ".join(pinned(SERVER_CORE, [command])), env={**env, "FEED_INTERVAL": "1"})


def combine_rounds(rounds):
    """One scenario's result from its rounds: the only one, or every figure's median and each round's p50 and rate."""
    if len(rounds) == 1:
        return rounds[0]
    failed = [result for result in rounds if "error" in result]
    if failed:
        return failed[0]
    numeric = [
        key
        for key in rounds[0]
        if all(isinstance(result.get(key), int | float) and not isinstance(result[key], bool) for result in rounds)
    ]
    combined = {key: statistics.median(result[key] for result in rounds) for key in numeric}
    combined["rounds"] = len(rounds)
    for key in ("p50_ms", "per_second"):
        if key in combined:
            combined[f"rounds_{key}"] = [result[key] for result in rounds]
    return combined


def machine():
    """What the figures were measured on."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    node = subprocess.run(["node", "--version"], check=True, capture_output=True, text=True).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": node,
    }


def main(argv=None):
    """Run the bench and write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="short scenarios, no report")
    parser.add_argument("--only", nargs="*", choices=sorted(SERVERS), help="servers to run (default: all)")
    parser.add_argument("--scenarios", nargs="*", help="scenario keys to run (default: all)")
    parser.add_argument("--no-report", action="store_true", help="print the results, write nothing")
    args = parser.parse_args(argv)
    limit = raise_file_limit()
    niceness = raise_priority()
    npm_ci()
    frames = check_frames()
    if not frames["identical"]:
        sys.exit(f"loadgen frames differ from socket.io-client's: {frames}")
    print(f"frames identical to socket.io-client; open-file limit {limit}; niceness {niceness}", flush=True)
    started = time.time()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    run = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {**machine(), "niceness": niceness},
        "servers": {},
    }
    scenarios = [(key, config) for key, config in (SMOKE if args.smoke else FULL) if key in (args.scenarios or [key])]
    run["servers"] = bench_servers(args.only or DEFAULT_SERVERS, scenarios, log=lambda line: print(line, flush=True))
    run["duration_s"] = round(time.time() - started)
    # How busy the shared machine was: the 1, 5 and 15-minute load averages at the start and the end.
    run["load_average"] = {"start": load_at_start, "end": [round(x, 2) for x in os.getloadavg()]}
    print(f"done in {run['duration_s']}s", flush=True)
    if args.smoke or args.no_report or args.scenarios:
        print(json.dumps(run, indent=1))
        return run
    from bench import report

    report.write(run, HISTORY, REPORT, CHART)
    print(f"wrote {os.path.relpath(REPORT, PROJECT_ROOT)} and {os.path.relpath(CHART, PROJECT_ROOT)}")
    return run


if __name__ == "__main__":
    main()
