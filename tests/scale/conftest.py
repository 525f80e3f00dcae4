"""Fixtures of the scale-out suite: one deployment (Redis, 3 instances, nginx) for the whole session."""

import pytest

from tests.figures import OBSERVED
from tests.scale.cluster import running_cluster


@pytest.fixture(scope="session")
def report():
    """A dict for the numbers a test observed; they are printed in the run's summary (see tests/figures.py)."""
    return OBSERVED.setdefault("scale-out", {})


@pytest.fixture(scope="session")
def cluster():
    """The deployment, started once for the whole suite."""
    with running_cluster() as deployment:
        yield deployment


@pytest.fixture
def deployment(cluster):
    """The deployment, whole again after whatever the previous test broke; its clients gone afterwards."""
    cluster.mend()
    yield cluster
    cluster.disconnect_all()
