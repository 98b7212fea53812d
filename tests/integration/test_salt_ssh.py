"""salt-ssh against a real sshd in its own network namespace, roster from the salt.ssh formula."""

import json
import pathlib

import pytest
import yaml

from tests.support.states import changed, failed, summarize

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def roster(salt_cli, minions, ssh_host):
    """Apply salt.ssh on the master host with the test host's address; authorize its key."""
    override = {"salt": {"ssh": {"roster": {"edge1": {"host": ssh_host.address, "port": 22}}}}}
    ret = salt_cli.run("state.apply", "salt.ssh", f"pillar={json.dumps(override)}", minion_tgt="master")
    assert ret.returncode == 0, ret
    assert not failed(ret.data), summarize(ret.data)
    config_dir = pathlib.Path(minions["master"].config_dir)
    roster_file = config_dir / "roster"
    key = config_dir / "pki" / "master" / "ssh" / "stacksalt_ed25519"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    ssh_host.authorize(key.with_suffix(".pub").read_text())
    return roster_file, key


def test_roster_rendered_from_pillar(roster, ssh_host):
    roster_file, key = roster
    data = yaml.safe_load(roster_file.read_text())
    assert data["edge1"]["host"] == ssh_host.address
    assert data["edge1"]["priv"] == str(key)
    assert data["edge1"]["set_path"] == "/usr/sbin:/usr/bin:/sbin:/bin"
    assert data["edge1"]["sudo"] is False


def test_salt_ssh_state_apply_uses_custom_module_and_converges(salt_master, roster, tmp_path):
    roster_file, _key = roster
    release = tmp_path / "edge1-release.yaml"
    cli = salt_master.salt_ssh_cli(roster_file=str(roster_file), target_host="edge1", timeout=300)
    pillar = f"pillar={json.dumps({'host': {'release_file': str(release)}})}"
    first = cli.run("state.apply", pillar)
    assert first.returncode == 0, first
    assert not failed(first.data), summarize(first.data)
    written = yaml.safe_load(release.read_text())
    # stacksalt_release.describe (a custom execution module) ran on the ssh host.
    assert written["managed_by"] == "stacksalt"
    assert written["roles"] == ["edge"]
    assert written["site"] == "demo"
    second = cli.run("state.apply", pillar)
    assert second.returncode == 0, second
    assert not changed(second.data), summarize(second.data)
