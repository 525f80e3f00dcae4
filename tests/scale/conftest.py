"""Fixtures of the scale-out suite: one deployment (Redis, 3 instances, nginx) for the whole session."""

import os
import shutil
import tempfile

import pytest

from tests.scale.cluster import Cluster


@pytest.fixture(scope="session")
def report():
    """Collect the numbers the suite observed and print them at the end (shown with -s, and in the log)."""
    numbers = {}
    yield numbers
    lines = ["", "scale-out numbers observed:"] + [f"  {name}: {value}" for name, value in numbers.items()]
    print("\n".join(lines))
    with open(os.path.join(tempfile.gettempdir(), "scale-report.txt"), "w") as out:
        out.write("\n".join(lines) + "\n")


@pytest.fixture(scope="session")
def cluster():
    """The deployment, started once for the whole suite."""
    workdir = tempfile.mkdtemp(prefix="scale-")
    os.chmod(workdir, 0o755)
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
