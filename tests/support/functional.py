"""
What the functional tier's conftests share (tests/functional/*/conftest.py, and the bench
conftests that reuse them): reading a lab service's env file, running a lab script, the
`openstack:clouds:admin` entry of a clouds.yaml, and the `modules`/`states` fixtures over a
directory's own `loaders` fixture (salt-factories' Loaders over tests/support/loaders.py opts).
Each conftest keeps only what its services need.
"""

import pathlib
import shlex
import subprocess

import pytest
import yaml


def read_env(path):
    """The `export KEY=value` lines of a lab service's env file, as a dict."""
    env = {}
    for line in pathlib.Path(path).read_text().splitlines():
        line = line.strip()
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


def run(cmd, timeout):
    """Run a lab script; its stderr's end in the error when it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


def admin_cloud(clouds_yaml):
    """`openstack:clouds` with the `admin` cloud of `clouds_yaml`, as a site puts it in pillar/config."""
    with open(clouds_yaml) as fh:
        clouds = yaml.safe_load(fh)["clouds"]
    return {"admin": clouds["admin"]}


@pytest.fixture
def modules(loaders):
    return loaders.modules


@pytest.fixture
def states(loaders):
    return loaders.states
