"""Fixtures of the Ironic benches."""

import pathlib

import pytest

from tests.support.loader import load_file

harness = load_file(
    pathlib.Path(__file__).resolve().parents[3] / "lab/services/ironic/harness.py", "stacksalt_ironic_harness"
)


@pytest.fixture(scope="module")
def cleaning_ironic(request, tmp_path_factory):
    """
    A real Ironic with automated cleaning on for the bench module that asks, its
    ``max_concurrent_clean`` at least the module's ``NODES`` (and 50), so that moving all of them
    at once is never refused.
    """
    nodes = getattr(request.module, "NODES", 50)
    workdir = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1].replace("test_", "bench-"))
    inst = harness.IronicInstance.start(workdir, automated_clean=True, max_concurrent_clean=max(50, nodes))
    yield inst
    inst.stop()
