"""Fixtures of the scale-out suite: one deployment (Redis, 3 instances, nginx) for the whole session."""

import os
import shutil
import tempfile

import pytest

from tests.scale.cluster import Cluster

# The numbers the suite observed (failover times, deliveries, ticks), shown at the end of every run.
OBSERVED = {}


@pytest.fixture(scope="session")
def report():
    """A dict for the numbers a test observed; they are printed in the run's summary."""
    return OBSERVED


def pytest_terminal_summary(terminalreporter):
    """Print the observed numbers after the test results, and keep a copy in $TMPDIR/scale-report.txt."""
    if not OBSERVED:
        return
    lines = [f"{name}: {value}" for name, value in OBSERVED.items()]
    terminalreporter.section("scale-out numbers observed")
    for line in lines:
        terminalreporter.write_line(line)
    with open(os.path.join(tempfile.gettempdir(), "scale-report.txt"), "w") as out:
        out.write("\n".join(lines) + "\n")


@pytest.fixture(scope="session")
def cluster():
    """The deployment, started once for the whole suite."""
    workdir = tempfile.mkdtemp(prefix="scale-")
    deployment = Cluster(workdir)
    try:
        yield deployment.start()
    finally:
        deployment.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def deployment(cluster):
    """The deployment, whole again after whatever the previous test broke; its clients gone afterwards."""
    cluster.mend()
    yield cluster
    cluster.disconnect_all()
