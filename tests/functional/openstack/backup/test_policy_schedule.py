"""
instance_backup.policy on a real salt-master and salt-minion (pytest-salt-factories): the
policy from pillar becomes a job in the chosen minion's scheduler (test=True shows the change
and the plan and changes nothing; a second apply changes nothing), the scheduler runs the job
and a real backup appears in Glance, and moving the policy to another minion removes the job.
The SLS is the one docs/instance-backup.md gives operators.
"""

import pathlib
import re
import time
import uuid

import pytest
import yaml

from tests.functional.openstack.backup.conftest import REPO, backups_of, boot_servers
from tests.functional.openstack.conftest import delete_servers

pytestmark = [pytest.mark.functional, pytest.mark.timeout(900)]

DOCS = REPO / "docs" / "instance-backup.md"
JOB = "instance_backup-nightly"


def sls_from_docs():
    """The policy SLS exactly as docs/instance-backup.md shows it (the block after its marker)."""
    text = DOCS.read_text()
    block = text.split("<!-- policy-sls -->", 1)[1]
    return re.search(r"```jinja\n(.*?)```", block, re.S).group(1)


@pytest.fixture(scope="module")
def policy_server(sdk, base_images, flavor):
    (server,) = boot_servers(sdk, base_images["plain"], flavor, f"bk-sched-{uuid.uuid4().hex[:6]}")
    yield server
    delete_servers(sdk, [server])


@pytest.fixture(scope="module")
def tree(tmp_path_factory, policy_server):
    root = tmp_path_factory.mktemp("backup-policy-tree")
    (root / "states").mkdir()
    (root / "pillar").mkdir()
    (root / "states" / "backup_policy.sls").write_text(sls_from_docs())
    (root / "pillar" / "top.sls").write_text("base:\n  '*':\n    - backup\n")
    policies = {
        "instance_backup": {
            "policies": {
                "nightly": {
                    "servers": [policy_server.name],
                    "backup_type": "daily",
                    "retention": {"daily": 7, "weekly": 4},
                    "schedule": {"cron": "0 2 * * *"},
                    "run_on": "backup1",
                    "cloud": "admin",
                }
            }
        }
    }
    (root / "pillar" / "backup.sls").write_text(yaml.safe_dump(policies))
    return root


@pytest.fixture(scope="module")
def master(salt_factories, tree):
    factory = salt_factories.salt_master_daemon(
        "backup-master",
        overrides={
            "interface": "127.0.0.1",
            "file_roots": {"base": [str(tree / "states")]},
            "pillar_roots": {"base": [str(tree / "pillar")]},
            "open_mode": False,
        },
    )
    with factory.started():
        yield factory


@pytest.fixture(scope="module")
def minion(master, admin_cloud):
    factory = master.salt_minion_daemon(
        "backup1",
        overrides={
            "loop_interval": 1,
            "module_dirs": [str(REPO / "_modules")],
            "states_dirs": [str(REPO / "_states")],
            "utils_dirs": [str(REPO / "_utils")],
            "openstack": {"cloud": "admin", "clouds": {"admin": admin_cloud}},
        },
    )
    with factory.started():
        yield factory


@pytest.fixture(scope="module")
def cli(master, minion):
    return master.salt_cli(timeout=300)


def apply(cli, *args, **kwargs):
    ret = cli.run("state.apply", "backup_policy", *args, minion_tgt="backup1", **kwargs)
    assert ret.returncode in (0, 1), ret
    (state,) = ret.data.values()
    return state


def schedule(cli):
    ret = cli.run("schedule.list", "return_yaml=False", "show_all=True", minion_tgt="backup1")
    assert ret.returncode == 0, ret
    return ret.data


def test_policy_schedules_backups_on_the_chosen_minion(cli, minion, sdk, policy_server):
    planned = apply(cli, "test=True")
    assert planned["result"] is None, planned
    assert planned["changes"][JOB]["old"] is None
    new = planned["changes"][JOB]["new"]
    assert new["function"] == "instance_backup.backup_many" and new["cron"] == "0 2 * * *"
    assert new["kwargs"]["servers"] == [policy_server.name] and new["maxrunning"] == 1
    assert "A run now would back up 1 server(s)" in planned["comment"]
    assert f"{policy_server.name}: back up, then keep 1" in planned["comment"]
    assert JOB not in schedule(cli)  # test=True changed nothing

    done = apply(cli)
    assert done["result"] is True, done
    assert done["changes"][JOB]["new"] == new
    job = schedule(cli)[JOB]
    assert job["function"] == "instance_backup.backup_many"
    assert job["kwargs"]["retention"] == {"daily": 7, "weekly": 4}
    saved = pathlib.Path(minion.config["conf_file"]).parent / "minion.d" / "_schedule.conf"
    assert JOB in yaml.safe_load(saved.read_text())["schedule"]  # survives a minion restart

    again = apply(cli)
    assert again["result"] is True and again["changes"] == {}, again
    checked = apply(cli, "test=True")
    assert checked["result"] is True and checked["changes"] == {}, checked

    # The minion's scheduler runs the job with the stored arguments: a real backup appears.
    assert backups_of(sdk, policy_server.id) == {}
    ret = cli.run("schedule.run_job", JOB, minion_tgt="backup1")
    assert ret.returncode == 0, ret
    deadline = time.monotonic() + 180
    while True:
        found = backups_of(sdk, policy_server.id)
        states = {i.status for i in (sdk.image.get_image(x) for x in found)}
        if found and states == {"active"}:
            break
        assert time.monotonic() < deadline, f"no active backup from the scheduled job: {found}, {states}"
        time.sleep(1)
    (name,) = found.values()
    assert re.fullmatch(r"nightly-\d{12}-daily", name), name

    # Moving the policy to another minion (a pillar change) removes the job here.
    moved = apply(cli, 'pillar={"instance_backup": {"policies": {"nightly": {"run_on": "backup2"}}}}')
    assert moved["result"] is True, moved
    assert moved["changes"] == {JOB: {"old": "scheduled", "new": None}}
    assert JOB not in schedule(cli)


def test_invalid_policy_fails_before_any_change(cli):
    bad = apply(
        cli, 'pillar={"instance_backup": {"policies": {"nightly": {"retention": null, "rotation": 0}}}}'
    )
    assert bad["result"] is False
    assert "rotation: 0 is refused" in bad["comment"]
    assert bad["changes"] == {}
