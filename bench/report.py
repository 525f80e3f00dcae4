"""Turn bench runs into docs/benchmarks.md (between its results markers) and docs/benchmarks.png.

The runs are kept in docs/benchmarks.json; the report shows the last two,
so the spread between runs is visible next to the figures themselves.
"""

import json
import os
import statistics

START, END = "<!-- results:start -->", "<!-- results:end -->"
KEEP_RUNS = 6
MET = {True: "yes", False: "**no**", None: "(context)"}

#: "No worse than gunicorn" for two servers running the same code: within the drift between rounds.
#: One server's own rounds of the same scenario differ by about 10% on these machines; Nagle's
#: algorithm, which the target is there to catch, shows as four to six times.
CONNECT_TOLERANCE = 1.10
APP, APP_PY, BASELINE, NODE, UVICORN, ADMIN = (
    "playground-gunicorn",
    "playground-app.py",
    "baseline",
    "node-socket.io",
    "python-socketio-uvicorn",
    "playground-admin",
)
#: The servers of the tables' columns; the Admin UI one runs a single scenario, reported in the targets.
COLUMNS = (APP, APP_PY, BASELINE, NODE, UVICORN)

#: Table rows: (label, scenario, field, format, higher is better).
ROWS = [
    ("echo RTT p50, 1 client (ms)", "echo_1", "p50_ms", "{:.2f}", False),
    ("echo RTT p99, 1 client (ms)", "echo_1", "p99_ms", "{:.2f}", False),
    ("echo round trips/s, 50 clients", "echo_50", "per_second", "{:,.0f}", True),
    ("echo p99, 50 clients (ms)", "echo_50", "p99_ms", "{:.1f}", False),
    ("server CPU per round trip, 50 clients (us)", "echo_50", "cpu_us_per_op", "{:.0f}", False),
    ("broadcast deliveries/s, 100 receivers", "broadcast_100", "per_second", "{:,.0f}", True),
    ("broadcast p50 / p99, 100 (ms)", "broadcast_100", ("p50_ms", "p99_ms"), "{:.0f}", False),
    ("broadcast lost / duplicated, 100", "broadcast_100", ("lost", "duplicated"), "{:d}", False),
    ("broadcast deliveries/s, 500 receivers", "broadcast_500", "per_second", "{:,.0f}", True),
    ("broadcast p50 / p99, 500 (ms)", "broadcast_500", ("p50_ms", "p99_ms"), "{:.0f}", False),
    ("broadcast lost / duplicated, 500", "broadcast_500", ("lost", "duplicated"), "{:d}", False),
    ("server CPU per delivery, 500 (us)", "broadcast_500", "cpu_us_per_op", "{:.1f}", False),
    ("one at a time: deliveries/s, 100 receivers", "fanout_100", "complete_per_second", "{:,.0f}", True),
    (
        "one at a time: send→last p50 / p99, 100 (ms)",
        "fanout_100",
        ("complete_p50_ms", "complete_p99_ms"),
        "{:.1f}",
        False,
    ),
    ("one at a time: lost / duplicated, 100", "fanout_100", ("lost", "duplicated"), "{:d}", False),
    ("one at a time: deliveries/s, 500 receivers", "fanout_500", "complete_per_second", "{:,.0f}", True),
    (
        "one at a time: send→last p50 / p99, 500 (ms)",
        "fanout_500",
        ("complete_p50_ms", "complete_p99_ms"),
        "{:.1f}",
        False,
    ),
    ("one at a time: lost / duplicated, 500", "fanout_500", ("lost", "duplicated"), "{:d}", False),
    ("one at a time: server CPU per delivery, 500 (us)", "fanout_500", "cpu_us_per_op", "{:.1f}", False),
    (
        "RSS per live connection, fresh process, 1,000 fed (KiB)",
        "memory_fresh",
        "rss_per_connection_kib",
        "{:.1f}",
        False,
    ),
    ("connect p50, 1,000 clients (ms)", "connections", "p50_ms", "{:.1f}", False),
    ("connect p99, 1,000 clients (ms)", "connections", "p99_ms", "{:.1f}", False),
    ("RSS per idle connection, warmed-up process (KiB)", "connections", "rss_per_connection_kib", "{:.1f}", False),
    ("connect p50, 10 at a time, median of 5 rounds (ms)", "connect_rounds", "p50_ms", "{:.1f}", False),
    ("connect p50, one at a time (ms)", "connect_sequential", "p50_ms", "{:.1f}", False),
    ("connect p99, one at a time (ms)", "connect_sequential", "p99_ms", "{:.1f}", False),
    ("10,000 clients: connected in (s)", "capacity", "connect_total_s", "{:.1f}", False),
    ("10,000 clients: clients connected", "capacity", "clients", "{:,d}", True),
    (
        "10,000 clients: RSS per live connection, fresh process (KiB)",
        "capacity",
        "rss_per_connection_kib",
        "{:.1f}",
        False,
    ),
    ("10,000 clients: feed tick first→last (ms)", "capacity", "tick_spread_ms", "{:.0f}", False),
    ("10,000 clients: ticks complete / seen", "capacity", ("ticks_complete", "ticks_seen"), "{:d}", True),
    ("10,000 clients: broadcast send→last, median of 3 (ms)", "capacity", "broadcast_all_ms", "{:.0f}", False),
]


def value(run, server, scenario, field):
    """One figure of one run, or None when that scenario failed or did not run."""
    result = run["servers"].get(server, {}).get(scenario)
    if not isinstance(result, dict) or result.get(field) is None:
        return None
    return result[field]


def cell(run, server, scenario, field, fmt):
    """A table cell: the figure, or both figures of a pair, or the error."""
    fields = field if isinstance(field, tuple) else (field,)
    values = [value(run, server, scenario, f) for f in fields]
    if any(v is None for v in values):
        result = run["servers"].get(server, {}).get(scenario)
        return "error" if isinstance(result, dict) and "error" in result else "-"
    return " / ".join(fmt.format(v) for v in values)


def ratio(run, scenario, field, over, under):
    """`over`'s figure divided by `under`'s, both from `run`."""
    a, b = value(run, over, scenario, field), value(run, under, scenario, field)
    return a / b if a is not None and b else None


def paired_ratio(run, scenario, field, over, under):
    """`over` over `under`, round by round (`field` lists the rounds): (median ratio, every ratio), or (None, [])."""
    a_rounds, b_rounds = value(run, over, scenario, field), value(run, under, scenario, field)
    if not a_rounds or not b_rounds:
        return None, []
    ratios = [a / b for a, b in zip(a_rounds, b_rounds, strict=True)]
    return statistics.median(ratios), ratios


def paired_connect_ratio(run):
    """app.py's connect p50 over gunicorn's, round by round: (median ratio, every round's), or (None, [])."""
    return paired_ratio(run, "connect_rounds", "rounds_p50_ms", APP_PY, APP)


def targets(run):
    """The issue's targets: (target, measured, met?)."""
    echo_base = ratio(run, "echo_50", "per_second", APP, BASELINE)
    echo_uv = ratio(run, "echo_50", "per_second", APP, UVICORN)
    fanout = ratio(run, "broadcast_500", "per_second", APP, NODE)
    one_node = ratio(run, "fanout_500", "complete_per_second", APP, NODE)
    one_base = ratio(run, "fanout_500", "complete_per_second", APP, BASELINE)
    rss = value(run, APP, "memory_fresh", "rss_per_connection_kib")
    rss_capacity = value(run, APP, "capacity", "rss_per_connection_kib")
    rss_warm = value(run, APP, "connections", "rss_per_connection_kib")
    admin, admin_rounds = paired_ratio(run, "echo_admin", "rounds_per_second", ADMIN, APP)
    connect, connect_rounds = paired_connect_ratio(run)
    tick = value(run, APP, "capacity", "broadcast_all_ms")
    spread = value(run, APP, "capacity", "tick_spread_ms")
    complete = value(run, APP, "capacity", "ticks_complete")

    def fmt(v, pattern):
        return "-" if v is None else pattern.format(v)

    return [
        ("echo throughput ≥ 2x baseline", fmt(echo_base, "{:.2f}x"), echo_base is not None and echo_base >= 2),
        ("echo throughput ≥ uvicorn's", fmt(echo_uv, "{:.2f}x"), echo_uv is not None and echo_uv >= 1),
        ("broadcast 500, four in flight ≥ 0.5x Node", fmt(fanout, "{:.2f}x"), fanout is not None and fanout >= 0.5),
        ("one at a time, 500 ≥ 0.6x Node", fmt(one_node, "{:.2f}x"), one_node is not None and one_node >= 0.6),
        ("one at a time, 500 ≥ 1.5x baseline", fmt(one_base, "{:.2f}x"), one_base is not None and one_base >= 1.5),
        (
            "≤ 40 KiB per live connection, fresh process, 1,000 fed",
            fmt(rss, "{:.1f} KiB"),
            rss is not None and rss <= 40,
        ),
        (
            "≤ 40 KiB per live connection, fresh process, 10,000 fed",
            fmt(rss_capacity, "{:.1f} KiB"),
            rss_capacity is not None and rss_capacity <= 40,
        ),
        ("(context: per idle connection, warmed-up process, 1,000)", fmt(rss_warm, "{:.1f} KiB"), None),
        (
            "(context: echo with the Admin UI on ÷ off, 50 clients)",
            fmt(admin, "{:.2f}x, median of rounds (")
            + ", ".join(f"{r:.2f}x" for r in admin_rounds)
            + (")" if admin_rounds else ""),
            None,
        ),
        (
            f"connect p50 app.py ≤ gunicorn (within {CONNECT_TOLERANCE - 1:.0%}: same code, the machine drifts)",
            fmt(connect, "{:.2f}x gunicorn's, median of rounds ")
            + "("
            + ", ".join(f"{r:.2f}x" for r in connect_rounds)
            + ")",
            connect is not None and connect <= CONNECT_TOLERANCE,
        ),
        (
            "(context: one connect at a time, ms)",
            " / ".join(
                f"{label} {fmt(value(run, server, 'connect_sequential', 'p50_ms'), '{:.1f}')}"
                for label, server in (("app.py", APP_PY), ("gunicorn", APP), ("baseline on socketio.run", BASELINE))
            ),
            None,
        ),
        (
            "10,000-client tick to all ≤ 1 s",
            f"spread {fmt(spread, '{:.0f}')} ms, {complete or 0} full ticks; "
            f"broadcast to all {fmt(tick, '{:.0f}')} ms (median of 3)",
            bool(complete) and spread is not None and spread <= 1000 and tick is not None and tick <= 1000,
        ),
    ]


def table(runs):
    """The markdown table: one column per server and run."""
    servers = [s for s in COLUMNS if s in runs[-1]["servers"]]
    head = "| metric | " + " | ".join(f"{s} ({r['date'][11:16]})" for s in servers for r in runs) + " |"
    lines = [head, "|" + "---|" * (1 + len(servers) * len(runs))]
    for label, scenario, field, fmt, _ in ROWS:
        cells = [cell(r, s, scenario, field, fmt) for s in servers for r in runs]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratios(run):
    """Ratios of the playground (gunicorn) to each other server, from one run."""
    others = [s for s in COLUMNS if s in run["servers"] and s != APP]
    lines = ["| playground-gunicorn ÷ | " + " | ".join(others) + " |", "|---|" + "---|" * len(others)]
    for label, scenario, field, _, _higher in ROWS:
        if isinstance(field, tuple):
            continue
        cells = [ratio(run, scenario, field, APP, other) for other in others]
        lines.append(f"| {label} | " + " | ".join("-" if c is None else f"{c:.2f}x" for c in cells) + " |")
    return "\n".join(lines)


def spread(runs):
    """How far the two runs differ on the headline figures, per server."""
    if len(runs) < 2:
        return "Only one run so far."
    a, b = runs[-2], runs[-1]
    lines = [
        "| server | echo/s 50 clients | broadcast/s 500 | one at a time/s 500 | connect p50 |",
        "|---|---|---|---|---|",
    ]
    for server in (s for s in COLUMNS if s in b["servers"]):
        cells = []
        for scenario, field in (
            ("echo_50", "per_second"),
            ("broadcast_500", "per_second"),
            ("fanout_500", "complete_per_second"),
            ("connections", "p50_ms"),
        ):
            x, y = value(a, server, scenario, field), value(b, server, scenario, field)
            cells.append("-" if not x or y is None else f"{(y - x) / x:+.0%}")
        lines.append(f"| {server} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load(run):
    """How busy the machine was during `run`: its load averages at the start and at the end."""
    averages = run["load_average"]
    return " → ".join("/".join(f"{x:.1f}" for x in averages[when]) for when in ("start", "end"))


def results_section(runs):
    """Everything between the markers: machine, targets, table, ratios, spread, chart."""
    last = runs[-1]
    m = last["machine"]
    parts = [
        f"Last two runs: {', '.join(r['date'] for r in runs)} ({last['duration_s']} s for the last). "
        f"Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, Python {m['python']}, Node {m['node']}."
        + "".join(f" Load average (1/5/15 min) {r['date'][11:16]}: {load(r)}." for r in runs if r.get("load_average")),
        "### Targets (last run, ratios within that run)",
        "| target | measured | met |\n|---|---|---|\n"
        + "\n".join(f"| {t} | {v} | {MET[ok]} |" for t, v, ok in targets(last)),
        "### All figures, both runs",
        table(runs),
        "### Ratios, last run",
        ratios(last),
        "### Spread between the two runs (last vs previous)",
        spread(runs),
        "![benchmark chart](benchmarks.png)",
    ]
    return "\n\n".join(parts)


def chart(runs, path):
    """Six panels of headline figures, one bar per server and run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("echo round trips/s (50 clients)", "echo_50", "per_second"),
        ("broadcast deliveries/s, 4 in flight (500)", "broadcast_500", "per_second"),
        ("broadcast deliveries/s, one at a time (500)", "fanout_500", "complete_per_second"),
        ("KiB per live connection, fresh (1,000)", "memory_fresh", "rss_per_connection_kib"),
        ("KiB per live connection, fresh (10,000)", "capacity", "rss_per_connection_kib"),
        ("connect p50, ms (1,000 clients)", "connections", "p50_ms"),
    ]
    servers = [s for s in COLUMNS if s in runs[-1]["servers"]]
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    width = 0.8 / len(runs)
    for ax, (title, scenario, field) in zip(axes.flat, panels, strict=True):
        for i, run in enumerate(runs):
            heights = [value(run, s, scenario, field) or 0 for s in servers]
            ax.bar([x + i * width for x in range(len(servers))], heights, width, label=run["date"])
        ax.set_title(title)
        ax.set_xticks([x + width * (len(runs) - 1) / 2 for x in range(len(servers))])
        ax.set_xticklabels(servers, rotation=20, ha="right", fontsize=8)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Socket.IO servers on one core, same run (higher is better on top, lower below)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write(run, history_path, report_path, chart_path):
    """Add `run` to the history, then rewrite the report's results section and the chart."""
    runs = []
    if os.path.exists(history_path):
        with open(history_path) as history:
            runs = json.load(history)
    runs = [*runs, run][-KEEP_RUNS:]
    with open(history_path, "w") as history:
        json.dump(runs, history, indent=1)
    shown = runs[-2:]
    with open(report_path) as report:
        text = report.read()
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    with open(report_path, "w") as report:
        report.write(f"{before}{START}\n{results_section(shown)}\n{END}{after}")
    chart(shown, chart_path)
