"""The Vagrantfile: valid Ruby, valid for Vagrant, and the same hosts as the podman lab."""

import json
import os
import pathlib
import subprocess

import pytest

from .conftest import LAB, REPO

pytestmark = pytest.mark.lab
STUB = pathlib.Path(__file__).with_name("vagrant_stub.rb")


def run(*cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False, timeout=300, **kw)
    assert proc.returncode == 0, f"{' '.join(cmd)}: {proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def tools():
    # ruby for `ruby -c` and the stub; Debian's Vagrant (2.3.4) for `vagrant validate`
    run(str(REPO / "tools" / "apt-ensure"), "ruby", "vagrant", "rsync")


@pytest.fixture(scope="module")
def vagrant_machines(tools):
    env = dict(os.environ, STACKSALT_VAGRANT_NO_KEYS="1")
    return json.loads(run("ruby", str(STUB), str(REPO / "Vagrantfile"), env=env))


def test_vagrantfile_is_valid_ruby(tools):
    assert "Syntax OK" in run("ruby", "-c", str(REPO / "Vagrantfile"))


def test_vagrant_validates_it(tools):
    # no VM provider here: validate the config with the provider blocks ignored
    assert "validated successfully" in run("vagrant", "validate", "--ignore-provider")


def test_same_hosts_addresses_and_kinds_as_the_lab(vagrant_machines):
    lab_hosts = {}
    for line in run(str(LAB), "topology").splitlines():
        name, ip, kind = line.split()
        lab_hosts[name] = (ip, kind)
    vm_hosts = {}
    for m in vagrant_machines["machines"]:
        assert m["hostname"] == m["name"]
        provisioners = m["provisioners"]
        kind = "master" if "converge" in provisioners else "minion" if "minion" in provisioners else "ssh"
        vm_hosts[m["name"]] = (m["ips"][0], kind)
    assert vm_hosts == lab_hosts


def test_both_providers_and_salt_only_where_the_roles_want_it(vagrant_machines):
    assert {"libvirt", "virtualbox"} <= set(vagrant_machines["providers"])
    for m in vagrant_machines["machines"]:
        if "converge" not in m["provisioners"] and "minion" not in m["provisioners"]:
            assert "salt" not in m["provisioners"], f"{m['name']} is ssh-only: no Salt on it"
