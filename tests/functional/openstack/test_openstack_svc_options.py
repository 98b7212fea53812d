"""
openstack-svc start's options for a lab host that stands in for a site's existing cloud (--bind,
--rabbit-user, --password-file, --compute-hosts "", --prebuilt, --ceph-conf, --standard-ports),
on this machine: each test starts its own services in its own directory and stops them even when
it fails. --standard-ports' listening and --ceph-conf's storing are proven in the lab; here a
taken standard port and an rbd store whose ceph.conf does not exist yet.
"""

import configparser
import json
import os
import pathlib
import socket
import subprocess
import uuid

import pytest

from tests.functional.openstack.conftest import OPENSTACK_SVC, REPO
from tests.support.functional import read_env, run

pytestmark = [pytest.mark.functional, pytest.mark.timeout(600)]

VENV = pathlib.Path(os.environ.get("STACKSALT_OPENSTACK_VENV") or REPO / ".venvs" / "openstack")
BIND = "127.0.0.5"
INSTALL_HINT = "run `openstack-svc install` on the build host"


@pytest.fixture(scope="module")
def built_venv():
    """The venv that `install` builds (a no-op once built): --prebuilt only checks it."""
    run([str(OPENSTACK_SVC), "install"], 900)
    return VENV


def svc(*args, env=None, timeout=120):
    """openstack-svc ARGS, not raising: its CompletedProcess."""
    return subprocess.run(  # noqa: S603
        [str(OPENSTACK_SVC), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def openstack_cli(workdir, *args):
    """The venv's `openstack` CLI on DIR's admin cloud, JSON output parsed."""
    proc = subprocess.run(  # noqa: S603
        [str(VENV / "bin" / "openstack"), *args, "-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "OS_CLIENT_CONFIG_FILE": str(workdir / "clouds.yaml"), "OS_CLOUD": "admin"},
    )
    return json.loads(proc.stdout)


def files_holding(root, secret):
    """Every file under root whose bytes hold secret."""
    needle = secret.encode()
    return [str(p) for p in pathlib.Path(root).rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_bind_rabbit_user_password_file_and_no_compute_host(built_venv, tmp_path):
    # '$' and "'" are oslo.config's and YAML's: the services still authenticate with it.
    password = f"pw-{uuid.uuid4().hex}$x'y"
    password_file = tmp_path / "admin-password"
    password_file.write_text(password + "\n")
    workdir = tmp_path / "cloud"
    args = ["start", workdir, "--compute", "--compute-hosts", "", "--bind", BIND,
            "--rabbit-user", "nova:s3cret", "--password-file", password_file, "--db", "mariadb"]  # fmt: skip
    try:
        started = svc(*args, timeout=900)
        assert started.returncode == 0, started.stderr[-4000:]
        # what start prints may land in a journal (the lab runs it under systemd): no password
        assert password not in started.stdout + started.stderr
        assert "s3cret" not in started.stdout + started.stderr

        env = read_env(workdir / "env")
        for key in ("KEYSTONE_URL", "GLANCE_URL", "PLACEMENT_URL", "NEUTRON_URL", "NOVA_URL"):
            assert env[key].startswith(f"http://{BIND}:"), (key, env[key])
        assert env["NOVA_COMPUTE_HOSTS"] == ""
        assert env["TRANSPORT_URL"].startswith(f"rabbit://nova:s3cret@{BIND}:"), env["TRANSPORT_URL"]
        assert f"my_ip = {BIND}" in (workdir / "etc" / "nova.conf").read_text()

        catalog = openstack_cli(workdir, "catalog", "list")
        assert {entry["Name"] for entry in catalog} == {"keystone", "glance", "placement", "neutron", "nova"}
        urls = [endpoint["url"] for entry in catalog for endpoint in entry["Endpoints"]]
        assert urls and all(url.startswith(f"http://{BIND}:") for url in urls), urls

        services = openstack_cli(workdir, "compute", "service", "list")
        states = {s["Binary"]: s["State"] for s in services}
        assert states == {"nova-conductor": "up", "nova-scheduler": "up"}, services

        # conductor and scheduler logged in to RabbitMQ as the --rabbit-user, not as guest
        rabbit_logs = "".join(
            p.read_text(errors="replace") for p in (workdir / "log").glob("stacksalt-*@localhost*.log")
        )
        assert "user 'nova' authenticated" in rabbit_logs

        status = svc("status", workdir, timeout=60)
        assert status.returncode == 0, status.stderr

        leaked = files_holding(workdir / "log", password) + files_holding(workdir / "env", password)
        assert not leaked, f"the admin password is written in {leaked}"
    finally:
        run([str(OPENSTACK_SVC), "stop", str(workdir)], 120)
    assert not workdir.exists()


@pytest.mark.parametrize("stamp", [None, "not-what-install-writes"], ids=["empty-venv", "wrong-stamp"])
def test_prebuilt_refuses_a_venv_install_did_not_build(tmp_path, stamp):
    venv = tmp_path / "venv"
    venv.mkdir()
    if stamp:
        (venv / "bin").mkdir()
        (venv / "bin" / "python").symlink_to("/usr/bin/python3")
        (venv / ".stacksalt-stamp").write_text(stamp + "\n")
    before = sorted(p.name for p in venv.rglob("*"))
    workdir = tmp_path / "cloud"
    try:
        proc = svc("start", workdir, "--compute", "--prebuilt", env={"STACKSALT_OPENSTACK_VENV": str(venv)})
        assert proc.returncode != 0
        assert str(venv) in proc.stderr and INSTALL_HINT in proc.stderr, proc.stderr
        # nothing installed, nothing started
        assert sorted(p.name for p in venv.rglob("*")) == before
        assert not workdir.exists()
    finally:
        run([str(OPENSTACK_SVC), "stop", str(workdir)], 120)


def test_ceph_conf_renders_the_rbd_store_and_glance_starts_before_the_file_exists(built_venv, tmp_path):
    ceph_conf = tmp_path / "not-yet" / "ceph.conf"
    workdir = tmp_path / "cloud"
    try:
        # --prebuilt: a current venv passes its check
        started = svc("start", workdir, "--ceph-conf", ceph_conf, "--rbd-user", "glance-lab", "--prebuilt")
        assert started.returncode == 0, started.stderr[-4000:]
        conf = configparser.ConfigParser(strict=False, interpolation=None)
        conf.read(workdir / "etc" / "glance-api.conf")
        assert conf["DEFAULT"]["enabled_backends"] == "rbd:rbd"
        assert conf["glance_store"]["default_backend"] == "rbd"
        rbd = conf["rbd"]
        assert (rbd["rbd_store_pool"], rbd["rbd_store_user"], rbd["rbd_store_ceph_conf"]) == (
            "images",
            "glance-lab",
            str(ceph_conf),
        )
        assert not ceph_conf.exists()
        status = svc("status", workdir, timeout=60)
        assert status.returncode == 0, status.stderr
    finally:
        run([str(OPENSTACK_SVC), "stop", str(workdir)], 120)


def test_standard_ports_name_a_taken_port_and_start_nothing(built_venv, tmp_path):
    addr = "127.0.0.6"
    holder = socket.socket()
    holder.bind((addr, 9292))
    holder.listen()
    workdir = tmp_path / "cloud"
    try:
        proc = svc("start", workdir, "--bind", addr, "--standard-ports")
        assert proc.returncode != 0
        assert f"GLANCE_PORT {addr}:9292" in proc.stderr, proc.stderr
        assert not workdir.exists()
    finally:
        holder.close()
        run([str(OPENSTACK_SVC), "stop", str(workdir)], 120)


@pytest.mark.parametrize(
    "args, says",
    [
        (["--ceph-env", "/etc/hostname", "--ceph-conf", "/etc/ceph/ceph.conf"], "exclude each other"),
        (["--bind", "0.0.0.0"], "--bind needs one IPv4 address of this host"),
        (["--bind", "192.0.2.1"], "--bind needs one IPv4 address of this host"),
        (["--rabbit-user", "nova:"], "--rabbit-user needs USER or USER:PASSWORD"),
        (["--password-file", "/nonexistent/admin-password"], "--password-file: cannot read"),
    ],
    ids=[
        "ceph-env-and-ceph-conf",
        "unspecified-bind",
        "foreign-bind",
        "rabbit-user-empty-password",
        "no-password-file",
    ],
)
def test_bad_options_fail_before_anything_starts(tmp_path, args, says):
    workdir = tmp_path / "cloud"
    proc = svc("start", workdir, *args)
    assert proc.returncode != 0
    assert says in proc.stderr, proc.stderr
    assert not workdir.exists()
