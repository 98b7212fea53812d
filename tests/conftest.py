"""
Shared test configuration: tier markers by directory, repository paths, the one loader
fixture and the session's process check.

Tiers: tests/unit, tests/functional, tests/integration, tests/lab, tests/bench. A test is
marked with its tier from its path, so `pytest -m unit` (or a path) selects a tier.

- `salt_loader`, `testmode` (tests/support/loader.py): loader modules with Salt's dunders, and
  a state test run once with `test=False` and once with `test=True`.
- tests/support/processes.py: a process the suite started that is still alive when the
  session ends fails the run (listed in the summary, then killed).
"""

import pathlib

import pytest

from tests.support.loader import salt_loader, testmode  # noqa: F401 - the shared fixtures

pytest_plugins = ["tests.support.processes"]

REPO = pathlib.Path(__file__).resolve().parent.parent
TIERS = ("unit", "functional", "integration", "lab", "bench")


def pytest_unconfigure(config):
    """Drop the records Salt kept for a logging setup that never comes.

    Imported with no logging configured, Salt puts a deferred handler on the root logger; it
    keeps every record of the session and writes them at exit to a stderr that pytest has
    closed by then, one "--- Logging error ---" each. Each test's own log capture has them.
    """
    from salt._logging.impl import shutdown_temp_handler

    shutdown_temp_handler()


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = pathlib.Path(str(item.fspath)).resolve().relative_to(REPO).parts
        if len(parts) > 1 and parts[0] == "tests" and parts[1] in TIERS:
            item.add_marker(getattr(pytest.mark, parts[1]))


@pytest.fixture(scope="session")
def repo_root():
    return REPO


@pytest.fixture(scope="session")
def salt_factories_config():
    """pytest-salt-factories for every tier that starts Salt daemons (integration, lab, bench)."""
    return {"code_dir": str(REPO), "inject_sitecustomize": False, "start_timeout": 120}
