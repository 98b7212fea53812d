"""
Non-idempotent POSTs through a lost answer, against the real Nova: the `lossy` cloud reaches Nova
through the test proxy (glance_proxy.py), which forwards the POST, lets Nova act on it, and answers
503 in place of Nova's reply. A blind retry would take a second backup (createBackup) or report our
own flavor as a 409 conflict; the modules look for the work first and adopt it.
"""

import urllib.parse
import uuid

import pytest
from salt.exceptions import CommandExecutionError
from saltfactories.utils.functional import Loaders

from tests.functional.openstack.backup.conftest import backups_of
from tests.functional.openstack.backup.glance_proxy import GlanceProxy
from tests.support.loaders import loader_opts

pytestmark = [pytest.mark.functional, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def nova_proxy(openstack_compute):
    proxy = GlanceProxy(openstack_compute["nova_url"]).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def modules(tmp_path_factory, admin_cloud, openstack_compute, nova_proxy):
    path = urllib.parse.urlsplit(openstack_compute["nova_url"]).path
    # The catalog's compute endpoint is NOVA_URL + /v2.1.
    lossy = dict(admin_cloud, compute_endpoint_override=f"{nova_proxy.url}{path.rstrip('/')}/v2.1")
    opts = loader_opts(
        tmp_path_factory.mktemp("post-retry") / "salt",
        "functional-post-retry",
        extra={"openstack": {"cloud": "lossy", "clouds": {"lossy": lossy}}},
    )
    return Loaders(opts).modules


def test_create_backup_answer_lost_makes_one_backup(modules, sdk, boot, nova_proxy):
    server = boot("bk-lost")[0]
    nova_proxy.lose_answers("POST", "/", count=1)
    report = modules.instance_backup.backup(server.id, "lost", "daily", rotation=3)
    # Nova accepted the createBackup (202) and the minion saw a 503 instead.
    assert [(m, p.endswith(f"/servers/{server.id}/action"), s) for m, p, s in nova_proxy.lost] == [
        ("POST", True, 202)
    ]
    assert report["result"] is True, report
    images = backups_of(sdk, server.id)
    assert list(images.values()) == [report["image_name"]]  # one backup, not two
    assert report["created"]["id"] in images and report["created"]["status"] == "active"
    assert [a.action for a in sdk.compute.server_actions(server.id)].count("createBackup") == 1


def test_flavor_create_answer_lost_adopts_the_flavor(modules, sdk, nova_proxy):
    name = f"lost-{uuid.uuid4().hex[:6]}"
    nova_proxy.lose_answers("POST", "/", count=1)
    try:
        flavor = modules.openstack_flavor.create(
            name, vcpus=1, ram=64, disk=1, extra_specs={"hw:cpu_policy": "shared"}
        )
        assert [(m, p.endswith("/flavors"), s) for m, p, s in nova_proxy.lost] == [("POST", True, 200)]
        assert flavor["name"] == name and flavor["ram"] == 64
        assert flavor["extra_specs"] == {"hw:cpu_policy": "shared"}  # the rest of create went on
        found = [f for f in sdk.compute.flavors(is_public=None) if f.name == name]
        assert [f.id for f in found] == [flavor["id"]]
    finally:
        for f in sdk.compute.flavors(is_public=None):
            if f.name == name:
                sdk.compute.delete_flavor(f.id)


def test_flavor_create_still_reports_a_real_conflict(modules, sdk):
    name = f"taken-{uuid.uuid4().hex[:6]}"
    other = sdk.compute.create_flavor(name=name, ram=128, vcpus=2, disk=1)
    try:
        with pytest.raises(CommandExecutionError, match="409"):
            modules.openstack_flavor.create(name, vcpus=1, ram=64, disk=1)
        assert [f.id for f in sdk.compute.flavors(is_public=None) if f.name == name] == [other.id]
    finally:
        sdk.compute.delete_flavor(other.id)
