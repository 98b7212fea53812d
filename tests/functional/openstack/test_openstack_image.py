"""
openstack_image states against the session's real Glance: CERN-style hw_* topology, a Windows
image's os_type/os_distro (and the warning when only one is set), site properties; only the
listed keys managed, idempotence, exact test=True, typos rejected before any API call.
"""

import pytest

WINDOWS = {
    "os_type": "windows",
    "os_distro": "windows",
    "hw_cpu_sockets": 2,
    "hw_cpu_cores": 8,
    "hw_cpu_threads": 2,
    "hw_numa_nodes": 2,
    "hw_mem_page_size": "2MB",
    "hw_qemu_guest_agent": True,
    "release_date": "2026-10-01",
    "recommended": True,
    "os_distro_major": 2022,
}


@pytest.fixture
def image(compute_conn):
    """A small real image (Glance file store) with a property set outside the state."""
    created = compute_conn.image.create_image(
        name="func-windows-2022",
        data=b"\0" * 1024,
        disk_format="raw",
        container_format="bare",
        wait=True,
        properties={"site_owner": "imaging-team", "recommended": "false"},
    )
    yield created
    compute_conn.image.delete_image(created, ignore_missing=True)


@pytest.fixture
def unreachable_cloud(loaders):
    clouds = loaders.opts["openstack"]["clouds"]
    clouds["unreachable"] = {"auth_type": "none", "image_endpoint_override": "http://127.0.0.1:9"}
    yield "unreachable"
    clouds.pop("unreachable")


def _props(compute_conn, image):
    """The image as Glance returns it (openstacksdk's Image moves known properties to attributes)."""
    return compute_conn.image.get(f"/images/{image.id}").json()


def test_properties_set_only_listed_keys_then_unchanged(states, compute_conn, image):
    planned = states.openstack_image.properties(name=image.name, properties=WINDOWS, test=True)
    assert planned.result is None, planned.comment
    assert "hw_cpu_sockets" not in _props(compute_conn, image)
    ret = states.openstack_image.properties(name=image.name, properties=WINDOWS)
    assert ret.result is True, ret.comment
    assert ret.changes == planned.changes
    assert ret.changes["old"] == {"recommended": "false"}
    assert ret.changes["new"]["recommended"] == "true" and ret.changes["new"]["hw_cpu_cores"] == "8"
    props = _props(compute_conn, image)
    assert props["hw_cpu_sockets"] == "2" and props["os_distro_major"] == "2022"
    assert props["hw_qemu_guest_agent"] == "true" and props["os_type"] == "windows"
    assert props["site_owner"] == "imaging-team"  # not listed: untouched
    again = states.openstack_image.properties(name=image.id, properties=WINDOWS)
    assert again.result is True and again.changes == {}, again.changes
    assert "warnings" not in again.raw[next(iter(again.raw))]


def test_windows_with_only_os_type_is_warned(states, compute_conn, image):
    ret = states.openstack_image.properties(name=image.name, properties={"os_type": "windows"})
    assert ret.result is True
    state = ret.raw[next(iter(ret.raw))]
    assert any("set os_distro: windows too" in w for w in state["warnings"])
    assert _props(compute_conn, image)["os_type"] == "windows"


def test_typo_rejected_before_any_api_call(states, compute_conn, image, unreachable_cloud):
    ret = states.openstack_image.properties(
        name=image.name,
        properties={"hw_cpu_socket": 2, "hw_disk_bus": "virtio-blk", "status": "active"},
        cloud=unreachable_cloud,
    )
    assert ret.result is False
    assert "Invalid image properties, nothing was changed" in ret.comment
    assert (
        "hw_cpu_socket: is not an image property Nova knows (did you mean 'hw_cpu_sockets'?)" in ret.comment
    )
    assert "hw_disk_bus: must be one of" in ret.comment
    assert "status: is a Glance attribute" in ret.comment
    assert "hw_cpu_socket" not in _props(compute_conn, image)


def test_missing_image_is_an_error(states):
    ret = states.openstack_image.properties(name="func-no-such-image", properties={"os_type": "linux"})
    assert ret.result is False and "was not found in Glance" in ret.comment


def test_properties_absent(states, compute_conn, image):
    planned = states.openstack_image.properties_absent(
        name=image.name, keys=["recommended", "nope"], test=True
    )
    assert planned.result is None and planned.changes == {"old": {"recommended": "false"}, "new": {}}
    ret = states.openstack_image.properties_absent(name=image.name, keys=["recommended", "nope"])
    assert ret.result is True and ret.changes == planned.changes
    assert "recommended" not in _props(compute_conn, image)
    assert states.openstack_image.properties_absent(name=image.name, keys=["recommended"]).changes == {}
