"""
A real private MariaDB for the mariadb module and state tests, started by the lab's own script
(``lab/services/openstack/openstack-svc start-db DIR``, Debian's mariadb-server) once per
module, on a free loopback port with root password-less on loopback; stopped at the end.
"""

import pathlib
import subprocess

import pytest
import yaml
from saltfactories.utils.functional import Loaders

from tests.support.functional import modules, read_env, run, states  # noqa: F401 - shared fixtures
from tests.support.loaders import loader_opts

REPO = pathlib.Path(__file__).resolve().parents[3]
OPENSTACK_SVC = REPO / "lab" / "services" / "openstack" / "openstack-svc"
PASSWORDS = {"func-ironic": "FAKE-func 'pw' \"q\" \\ $x", "func-admin": "FAKE-func-admin-pw"}


@pytest.fixture(scope="module")
def mariadb_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("mariadb") / "db"
    run(["bash", str(OPENSTACK_SVC), "start-db", str(workdir)], timeout=180)
    try:
        yield {"dir": workdir, **read_env(workdir / "env")}
    finally:
        subprocess.run(["bash", str(OPENSTACK_SVC), "stop", str(workdir)], check=False, timeout=60)


def sql(server, text, user="root", password=None):
    """SQL through the real client, as root on loopback (or as another user)."""
    cmd = ["mariadb", "--protocol=tcp", "-h", "127.0.0.1", "-P", server["MYSQL_PORT"], "-u", user]
    env = None
    if password:
        env = {"MYSQL_PWD": password, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [*cmd, "--batch", "--skip-column-names"],
        input=text,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def loaders(tmp_path_factory, mariadb_server):
    tmp = tmp_path_factory.mktemp("loaders")
    (tmp / "pillar").mkdir()
    (tmp / "pillar" / "top.sls").write_text("base:\n  '*':\n    - mariadb\n")
    (tmp / "pillar" / "mariadb.sls").write_text(yaml.safe_dump({"mariadb": {"user_passwords": PASSWORDS}}))
    opts = loader_opts(
        tmp / "salt",
        "functional-mariadb",
        pillar_roots=[tmp / "pillar"],
        extra={
            "mariadb": {
                "admin": {"host": "127.0.0.1", "port": int(mariadb_server["MYSQL_PORT"]), "user": "root"}
            },
        },
    )
    loaders = Loaders(opts)
    loaders.refresh_pillar()
    return loaders
