"""
openstack_flavor states against the session's real Nova: creation with extra specs and
project access, idempotence, exact test=True, typos rejected before any API call, only the
listed extra specs managed, immutable fields refused or recreated.
"""

import pytest

CERN = {
    "vcpus": 32,
    "ram": 65536,
    "disk": 40,
    "extra_specs": {
        "hw:numa_nodes": 2,
        "hw:cpu_policy": "dedicated",
        "hw:cpu_thread_policy": "prefer",
        "hw:mem_page_size": "2MB",
        "hw:cpu_sockets": 2,
        "hw:cpu_cores": 8,
        "hw:cpu_threads": 2,
    },
}


def _live(compute_conn, name):
    flavors = [f for f in compute_conn.compute.flavors(is_public=None) if f.name == name]
    return flavors[0] if flavors else None


@pytest.fixture(autouse=True)
def no_test_flavors(compute_conn):
    """Every test starts and ends without the func-* flavors (also against reused services)."""

    def remove():
        for flavor in compute_conn.compute.flavors(is_public=None):
            if flavor.name.startswith("func-"):
                compute_conn.compute.delete_flavor(flavor)

    remove()
    yield
    remove()


@pytest.fixture
def unreachable_cloud(loaders):
    """A cloud whose every API call fails: a state using it proves it made none."""
    clouds = loaders.opts["openstack"]["clouds"]
    clouds["unreachable"] = {
        "auth_type": "none",
        "compute_endpoint_override": "http://127.0.0.1:9/v2.1",
        "image_endpoint_override": "http://127.0.0.1:9",
    }
    yield "unreachable"
    clouds.pop("unreachable")


def test_flavor_with_extra_specs_created_then_unchanged(states, compute_conn):
    name = "func-cern-numa"
    planned = states.openstack_flavor.present(name=name, test=True, **CERN)
    assert planned.result is None, planned.comment
    assert _live(compute_conn, name) is None
    ret = states.openstack_flavor.present(name=name, **CERN)
    assert ret.result is True, ret.comment
    assert ret.changes == planned.changes
    assert ret.changes["created"]["vcpus"] == 32
    live = _live(compute_conn, name)
    specs = compute_conn.compute.fetch_flavor_extra_specs(live).extra_specs
    assert specs == {
        "hw:numa_nodes": "2",
        "hw:cpu_policy": "dedicated",
        "hw:cpu_thread_policy": "prefer",
        "hw:mem_page_size": "2MB",
        "hw:cpu_sockets": "2",
        "hw:cpu_cores": "8",
        "hw:cpu_threads": "2",
    }
    again = states.openstack_flavor.present(name=name, **CERN)
    assert again.result is True and again.changes == {}, again.changes
    again_test = states.openstack_flavor.present(name=name, test=True, **CERN)
    assert again_test.result is True and again_test.changes == {}


def test_typo_rejected_before_any_api_call(states, unreachable_cloud):
    ret = states.openstack_flavor.present(
        name="func-typo",
        vcpus=4,
        ram=4096,
        extra_specs={"hw:numa_node": 2, "hw:cpu_policy": "dedicatd"},
        cloud=unreachable_cloud,
    )
    assert ret.result is False
    assert "Invalid flavor data, nothing was changed" in ret.comment
    assert "hw:numa_node: is not an extra spec Nova knows (did you mean 'hw:numa_nodes'?)" in ret.comment
    assert "hw:cpu_policy: must be one of shared, dedicated, mixed, got 'dedicatd'" in ret.comment
    # The same state with valid data does reach the (unreachable) API: the check came first.
    reached = states.openstack_flavor.present(name="func-typo", vcpus=4, ram=4096, cloud=unreachable_cloud)
    assert reached.result is False and "Could not read flavor" in reached.comment


def test_inconsistent_numa_and_topology_rejected(states, compute_conn):
    ret = states.openstack_flavor.present(
        name="func-bad-numa",
        vcpus=6,
        ram=4096,
        extra_specs={"hw:numa_nodes": 4, "hw:cpu_sockets": 2, "hw:cpu_cores": 2, "hw:cpu_threads": 2},
    )
    assert ret.result is False
    assert "is 8 but vcpus is 6" in ret.comment
    assert _live(compute_conn, "func-bad-numa") is None


def test_only_listed_extra_specs_are_managed_unless_purged(states, compute_conn):
    name = "func-managed-specs"
    base = {"vcpus": 2, "ram": 2048, "disk": 10}
    assert states.openstack_flavor.present(name=name, extra_specs={"hw:cpu_policy": "shared"}, **base).result
    live = _live(compute_conn, name)
    compute_conn.compute.create_flavor_extra_specs(live, {"trait:CUSTOM_OUT_OF_BAND": "required"})
    kept = states.openstack_flavor.present(name=name, extra_specs={"hw:cpu_policy": "shared"}, **base)
    assert kept.result is True and kept.changes == {}
    changed = {"hw:cpu_policy": "dedicated", "aggregate_instance_extra_specs:baremetal": False}
    planned = states.openstack_flavor.present(
        name=name, extra_specs=changed, purge_extra_specs=True, test=True, **base
    )
    assert planned.result is None
    assert compute_conn.compute.fetch_flavor_extra_specs(live).extra_specs["hw:cpu_policy"] == "shared"
    ret = states.openstack_flavor.present(name=name, extra_specs=changed, purge_extra_specs=True, **base)
    assert ret.result is True, ret.comment
    assert (
        ret.changes
        == planned.changes
        == {
            "extra_specs": {
                "old": {"hw:cpu_policy": "shared", "trait:CUSTOM_OUT_OF_BAND": "required"},
                "new": {"hw:cpu_policy": "dedicated", "aggregate_instance_extra_specs:baremetal": "false"},
            }
        }
    )
    assert compute_conn.compute.fetch_flavor_extra_specs(live).extra_specs == {
        "hw:cpu_policy": "dedicated",
        "aggregate_instance_extra_specs:baremetal": "false",
    }


def test_immutable_change_refused_then_recreated(states, compute_conn):
    name = "func-immutable"
    specs = {"resources:CUSTOM_BAREMETAL": 1, "resources:VCPU": 0}
    assert states.openstack_flavor.present(name=name, vcpus=1, ram=1024, disk=20, extra_specs=specs).result
    before = _live(compute_conn, name)
    refused = states.openstack_flavor.present(name=name, vcpus=1, ram=2048, disk=20, extra_specs=specs)
    assert refused.result is False and refused.changes == {}
    assert "ram: 1024 -> 2048" in refused.comment and "immutable" in refused.comment
    assert "recreate: true" in refused.comment
    assert _live(compute_conn, name).ram == 1024
    planned = states.openstack_flavor.present(
        name=name, vcpus=1, ram=2048, disk=20, extra_specs=specs, recreate=True, test=True
    )
    assert planned.result is None and _live(compute_conn, name).ram == 1024
    ret = states.openstack_flavor.present(
        name=name, vcpus=1, ram=2048, disk=20, extra_specs=specs, recreate=True
    )
    assert ret.result is True, ret.comment
    assert ret.changes == planned.changes == {"recreated": {"ram": {"old": 1024, "new": 2048}}}
    after = _live(compute_conn, name)
    assert after.ram == 2048 and after.id == before.id
    assert compute_conn.compute.fetch_flavor_extra_specs(after).extra_specs == {
        "resources:CUSTOM_BAREMETAL": "1",
        "resources:VCPU": "0",
    }
    again = states.openstack_flavor.present(
        name=name, vcpus=1, ram=2048, disk=20, extra_specs=specs, recreate=True
    )
    assert again.result is True and again.changes == {}


def test_private_flavor_project_access(states, compute_conn):
    name = "func-private"
    admin_id = compute_conn.identity.find_project("admin").id
    ret = states.openstack_flavor.present(name=name, vcpus=1, ram=512, is_public=False, projects=["admin"])
    assert ret.result is True, ret.comment
    assert ret.changes["projects"] == {"added": ["admin"]}
    live = _live(compute_conn, name)
    assert [a["tenant_id"] for a in compute_conn.compute.get_flavor_access(live)] == [admin_id]
    again = states.openstack_flavor.present(name=name, vcpus=1, ram=512, is_public=False, projects=["admin"])
    assert again.changes == {}
    emptied = states.openstack_flavor.present(name=name, vcpus=1, ram=512, is_public=False, projects=[])
    assert emptied.changes == {"projects": {"removed": [admin_id]}}
    assert compute_conn.compute.get_flavor_access(live) == []
    unknown = states.openstack_flavor.present(name=name, vcpus=1, ram=512, is_public=False, projects=["nope"])
    assert unknown.result is False
    assert "openstack_flavor:func-private:projects: projects not found in Keystone: nope" in unknown.comment


def test_description_changes_in_place(states, compute_conn):
    name = "func-described"
    assert states.openstack_flavor.present(name=name, vcpus=1, ram=256, description="old text").result
    before = _live(compute_conn, name)
    planned = states.openstack_flavor.present(name=name, vcpus=1, ram=256, description="new text", test=True)
    assert planned.result is None and _live(compute_conn, name).description == "old text"
    ret = states.openstack_flavor.present(name=name, vcpus=1, ram=256, description="new text")
    assert ret.result is True and ret.changes == planned.changes
    assert ret.changes == {"description": {"old": "old text", "new": "new text"}}
    after = _live(compute_conn, name)
    assert after.description == "new text" and after.id == before.id


def test_absent(states, compute_conn):
    name = "func-absent"
    assert states.openstack_flavor.present(name=name, vcpus=1, ram=256).result
    planned = states.openstack_flavor.absent(name=name, test=True)
    assert planned.result is None and _live(compute_conn, name) is not None
    ret = states.openstack_flavor.absent(name=name)
    assert ret.result is True and ret.changes == planned.changes
    assert _live(compute_conn, name) is None
    assert states.openstack_flavor.absent(name=name).changes == {}
