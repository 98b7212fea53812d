"""
Shared test configuration: tier markers by directory, repository paths.

Tiers: tests/unit, tests/functional, tests/integration, tests/lab, tests/bench. A test is
marked with its tier from its path, so `pytest -m unit` (or a path) selects a tier.
"""

import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
TIERS = ("unit", "functional", "integration", "lab", "bench")


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = pathlib.Path(str(item.fspath)).resolve().relative_to(REPO).parts
        if len(parts) > 1 and parts[0] == "tests" and parts[1] in TIERS:
            item.add_marker(getattr(pytest.mark, parts[1]))


@pytest.fixture(scope="session")
def repo_root():
    return REPO
