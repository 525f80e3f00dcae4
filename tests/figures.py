"""Figures the live suites measure (failover times, latency ratios, memory), shown at the end of every run.

A suite records what it observed with `record`; `tests/conftest.py` prints
every suite's figures in pytest's summary, so `make test` and CI show them
without `-s`.
"""

#: suite name -> {figure: value}, in the order they were recorded.
OBSERVED = {}


def record(suite, figure, value):
    """Keep `value` as what `suite` observed for `figure` (a later run of the same figure replaces it)."""
    OBSERVED.setdefault(suite, {})[figure] = value
