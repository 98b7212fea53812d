"""
Fixtures for the instance backup tests, on top of tests/functional/openstack/conftest.py (the
session's real Keystone, Glance, Placement, Neutron and Nova with the fake virt driver whose
snapshots upload a small payload: ``openstack_compute``, ``cloud_config``, ``compute_conn``):
salt loaders whose `flaky` cloud reaches Glance through an outage proxy, and helpers that boot
servers and seed backup history as real Glance images carrying the properties Nova gives backups.
"""

import datetime
import io
import pathlib
import time
import uuid

import pytest

from tests.functional.openstack.backup.glance_proxy import GlanceProxy
from tests.functional.openstack.conftest import delete_servers
from tests.support.loaders import loader_opts

REPO = pathlib.Path(__file__).resolve().parents[4]


@pytest.fixture(scope="session")
def admin_cloud(cloud_config):
    return cloud_config["admin"]


@pytest.fixture(scope="session")
def sdk(compute_conn):
    """The tests' own openstacksdk connection (setup and independent checks, not the module's)."""
    # Nova's default quota (10 servers) would make a test depend on how fast earlier ones were
    # cleaned up.
    project = compute_conn.current_project_id
    compute_conn.compute.update_quota_set(project, instances=-1, cores=-1, ram=-1)
    return compute_conn


@pytest.fixture(scope="module")
def glance_proxy(openstack_compute):
    proxy = GlanceProxy(openstack_compute["glance_url"]).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def loaders(tmp_path_factory, admin_cloud, glance_proxy):
    """Salt loaders with two clouds: `admin`, and `flaky` whose Glance traffic crosses the proxy."""
    from saltfactories.utils.functional import Loaders

    root = tmp_path_factory.mktemp("backup-loaders") / "salt"
    opts = loader_opts(
        root,
        "functional-backup",
        extra={
            "openstack": {
                "cloud": "admin",
                "clouds": {
                    "admin": admin_cloud,
                    "flaky": dict(admin_cloud, image_endpoint_override=glance_proxy.url),
                },
            }
        },
    )
    return Loaders(opts)


@pytest.fixture(scope="session")
def base_images(sdk):
    """Two bootable 1 KiB raw images: a plain one and one with the QEMU guest agent property."""
    made = {}
    for key, props in (("plain", {}), ("agent", {"hw_qemu_guest_agent": "yes"})):
        image = sdk.image.find_image(
            f"backup-test-base-{key}", ignore_missing=True
        ) or sdk.image.create_image(
            name=f"backup-test-base-{key}",
            disk_format="raw",
            container_format="bare",
            data=io.BytesIO(b"\0" * 1024),
            properties=props,
        )
        made[key] = sdk.image.wait_for_status(image, status="active", interval=0.2, wait=60).id
    return made


@pytest.fixture(scope="session")
def flavor(sdk):
    found = sdk.compute.find_flavor("backup-test", ignore_missing=True)
    return (found or sdk.compute.create_flavor(name="backup-test", ram=64, vcpus=1, disk=1)).id


def boot_servers(sdk, image_id, flavor_id, prefix, count=1, attempts=3):
    """
    Boot servers (networks none) one at a time, each ACTIVE before the next (a build that failed
    is deleted and tried again): setup, where a predictable order beats speed.
    """
    servers = []
    for i in range(count):
        name = prefix if count == 1 else f"{prefix}-{i}"
        for attempt in range(1, attempts + 1):
            server = sdk.compute.create_server(
                name=name, image_id=image_id, flavor_id=flavor_id, networks="none"
            )
            try:
                servers.append(wait_server(sdk, server.id))
                break
            except AssertionError:
                sdk.compute.delete_server(server.id)
                sdk.compute.wait_for_delete(server, interval=0.3, wait=120)
                if attempt == attempts:
                    raise
    return servers


@pytest.fixture
def boot(sdk, base_images, flavor):
    """Boot servers from a base image (``plain`` or ``agent``); they are deleted after the test."""
    made = []

    def boot_many(prefix, count=1, image="plain"):
        # A name of this test's own: a server a test left behind never makes a name ambiguous.
        servers = boot_servers(sdk, base_images[image], flavor, f"{prefix}-{uuid.uuid4().hex[:6]}", count)
        made.extend(servers)
        return servers

    yield boot_many
    delete_servers(sdk, made)


def wait_server(sdk, server_id, timeout=180, want="ACTIVE"):
    deadline = time.monotonic() + timeout
    while True:
        server = sdk.compute.get_server(server_id)
        if server.status == want and not server.task_state:
            return server
        if server.status == "ERROR":
            raise AssertionError(f"server {server.name} went ERROR: {server.fault}")
        if time.monotonic() > deadline:
            raise AssertionError(
                f"server {server.name} is {server.status}/{server.task_state} after {timeout}s"
            )
        time.sleep(0.3)


def seed_backup(sdk, server_id, name, when, backup_type="daily", data=True):
    """
    A backup image as Nova makes one (the properties its createBackup sets), dated by its name:
    history that would otherwise take days to accumulate.
    """
    image_name = f"{name}-{when.strftime('%Y%m%d%H%M')}-{backup_type}"
    image = sdk.image.create_image(
        name=image_name,
        disk_format="raw",
        container_format="bare",
        properties={"image_type": "backup", "backup_type": backup_type, "instance_uuid": server_id},
        allow_duplicates=True,  # servers' backups share names: never hand back another's image
        **({"data": io.BytesIO(b"\1" * 1024)} if data else {}),
    )
    if data:
        image = sdk.image.wait_for_status(image, status="active", interval=0.2, wait=60)
    return image.id


@pytest.fixture
def seed(sdk):
    def make(server_id, name, when, backup_type="daily", data=True):
        return seed_backup(sdk, server_id, name, when, backup_type, data)

    return make


def backups_of(sdk, server_id):
    """{image id: name} of every backup image Glance holds for the server (the truth)."""
    images = sdk.image.get(
        "/images", params={"image_type": "backup", "instance_uuid": server_id, "limit": 1000}
    )
    return {i["id"]: i["name"] for i in images.json()["images"]}


def utc(*args):
    return datetime.datetime(*args, tzinfo=datetime.UTC)
