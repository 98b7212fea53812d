"""
The real `openstack` command line on the stand-in cloud's host (controller1), as the cloud's
admin (its own clouds.yaml): how the lab tier checks the cloud, never through our modules.
"""

import json
import shlex

CLOUD = "controller1"
CLOUD_DIR = "/var/lib/stacksalt-cloud"


def run(hosts, name, cmd):
    result = hosts[name].run(cmd)
    assert result.rc == 0, f"{name}: {cmd}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result.stdout


def venv(hosts):
    """The stand-in's venv on controller1 (mounted from the build host), from its unit."""
    unit = run(hosts, CLOUD, "systemctl show -p Environment --value stacksalt-cloud.service")
    for item in unit.split():
        if item.startswith("STACKSALT_OPENSTACK_VENV="):
            return item.split("=", 1)[1]
    raise AssertionError(f"no STACKSALT_OPENSTACK_VENV in the unit's environment: {unit}")


def openstack(hosts, *args):
    """The `openstack` command line on controller1, as the cloud's admin (its clouds.yaml)."""
    return (
        f"env OS_CLIENT_CONFIG_FILE={CLOUD_DIR}/clouds.yaml OS_CLOUD=admin "
        f"{shlex.quote(venv(hosts) + '/bin/openstack')} {shlex.join(args)}"
    )


def cli(hosts, *args):
    """`openstack <args> -f json` on controller1, parsed."""
    return json.loads(run(hosts, CLOUD, openstack(hosts, *args, "-f", "json")))


def admin_token(hosts):
    """A Keystone token of the cloud's admin (for raw API calls that the CLI does not make)."""
    return run(hosts, CLOUD, openstack(hosts, "token", "issue", "-f", "value", "-c", "id")).strip()


def sdk(hosts, script, *args):
    """A Python script with openstacksdk on controller1 (cloud `admin`), its stdout parsed as JSON:
    for what the CLI of the stand-in's venv has no command for (no ironicclient there)."""
    cmd = (
        f"env OS_CLIENT_CONFIG_FILE={CLOUD_DIR}/clouds.yaml "
        f"{shlex.quote(venv(hosts) + '/bin/python')} -c {shlex.quote(script)} {shlex.join(args)}"
    )
    return json.loads(run(hosts, CLOUD, cmd))
