"""Pure logic of _modules/openstack_{flavor,aggregate,image}.py and the openstack pillar schema."""

import pathlib

import pytest
import yaml

from tests.support.loader import load, load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]


# Loaded as Salt's loader loads them: their pure logic shares the helpers of _utils/.
flavor = load("modules", "openstack_flavor")
aggregate = load("modules", "openstack_aggregate")
image = load("modules", "openstack_image")
schema_lib = load_file(REPO / "_utils/stacksalt_schema.py", "stacksalt_schema_ut")

CERN_SPECS = {
    "hw:numa_nodes": 2,
    "hw:cpu_policy": "dedicated",
    "hw:mem_page_size": "2MB",
    "hw:cpu_sockets": 2,
    "hw:cpu_cores": 8,
    "hw:cpu_threads": 2,
}


# ----------------------------------------------------------------------------- flavor specs


def test_cern_flavor_specs_are_valid():
    assert flavor.validate_extra_specs(CERN_SPECS, vcpus=32, ram=65536) == []


@pytest.mark.parametrize(
    ("specs", "error"),
    [
        (
            {"hw:numa_node": 2},
            "hw:numa_node: is not an extra spec Nova knows (did you mean 'hw:numa_nodes'?)",
        ),
        ({"hw:cpu_polcy": "dedicated"}, "did you mean 'hw:cpu_policy'?"),
        (
            {"hw:cpu_policy": "dedicatd"},
            "must be one of shared, dedicated, mixed, got 'dedicatd' (did you mean 'dedicated'?)",
        ),
        ({"hw:cpu_thread_policy": "prefer"}, "hw:cpu_thread_policy: needs hw:cpu_policy dedicated"),
        (
            {"hw:emulator_threads_policy": "isolate"},
            "hw:emulator_threads_policy: needs hw:cpu_policy dedicated",
        ),
        ({"hw:mem_page_size": "2M B"}, "must be small, large, any or a size"),
        ({"hw:numa_nodes": 0}, "must be a positive integer, got '0'"),
        ({"hw:numa_nodes": True}, "must be a positive integer, got 'true'"),
        ({"hw:numa_nodes": 3}, "4 vcpus cannot be split evenly over 3 NUMA nodes"),
        ({"hw:cpu_sockets": 2, "hw:cpu_cores": 4, "hw:cpu_threads": 2}, "is 16 but vcpus is 4"),
        (
            {"hw:cpu_sockets": 4, "hw:cpu_max_sockets": 2},
            "hw:cpu_sockets: 4 is more than hw:cpu_max_sockets (2)",
        ),
        ({"hw:numa_cpus.0": "0-3"}, "hw:numa_cpus.0: needs hw:numa_nodes"),
        (
            {"hw:numa_nodes": 2, "hw:numa_cpus.0": "0-1", "hw:numa_mem.0": 2048, "hw:numa_cpus.1": "2-3"},
            "hw:numa_mem.1: missing",
        ),
        (
            {
                "hw:numa_nodes": 2,
                "hw:numa_cpus.0": "0-1",
                "hw:numa_cpus.1": "1-3",
                "hw:numa_mem.0": 2048,
                "hw:numa_mem.1": 2048,
            },
            "cover CPUs 0 to 3 exactly once",
        ),
        (
            {
                "hw:numa_nodes": 2,
                "hw:numa_cpus.0": "0-1",
                "hw:numa_cpus.1": "2-3",
                "hw:numa_mem.0": 1024,
                "hw:numa_mem.1": 2048,
            },
            "together 3072 MB but ram is 4096 MB",
        ),
        ({"hw:numa_nodes": 1, "hw:numa_cpus.1": "0-3"}, "nodes are numbered 0 to 0"),
        ({"resources:VCPUS": "x"}, "must be a non-negative integer amount"),
        ({"resources:custom_gold": 1}, "names no resource class"),
        ({"trait:CUSTOM_GOLD": "yes"}, "must be required or forbidden"),
        (
            {"traits:CUSTOM_GOLD": "required"},
            "is in no namespace Nova knows (did you mean 'trait:CUSTOM_GOLD'?)",
        ),
        ({"baremetal": "true"}, "'aggregate_instance_extra_specs:baremetal'"),
        ({"capabilities:boot_option": "local"}, "the boot_option capability is gone"),
        ({"hw:cpu_policy": ["dedicated"]}, "must be a single value"),
    ],
)
def test_bad_extra_specs_are_named_with_the_reason(specs, error):
    errors = flavor.validate_extra_specs(specs, vcpus=4, ram=4096, where="openstack:flavors:f:extra_specs")
    assert any(error in e for e in errors), errors
    assert all(e.startswith("openstack:flavors:f:extra_specs") for e in errors)


@pytest.mark.parametrize(
    "specs",
    [
        {"resources:CUSTOM_BAREMETAL": 1, "resources:VCPU": 0, "resources:MEMORY_MB": 0},
        {"resources1:VGPU": 1, "trait1:CUSTOM_GPU": "required", "group_policy": "isolate"},
        {"aggregate_instance_extra_specs:baremetal": True, "capabilities:cpu_arch": "x86_64"},
        {"hw:cpu_policy": "mixed", "hw:cpu_dedicated_mask": "^0-1"},
        {
            "hw:numa_nodes": 2,
            "hw:numa_cpus.0": "0",
            "hw:numa_cpus.1": "1-3",
            "hw:numa_mem.0": 1024,
            "hw:numa_mem.1": 3072,
        },
        {"hw:watchdog_action": "reset", "hw_rng:allowed": "true", "quota:disk_read_bytes_sec": 10240000},
    ],
)
def test_valid_extra_specs_pass(specs):
    assert flavor.validate_extra_specs(specs, vcpus=4, ram=4096) == []


def test_flavor_validation_names_keys():
    errors = flavor.validate(
        {"name": "f", "vcpu": 2, "ram": "1G", "is_public": True, "projects": ["a"]}, where="w"
    )
    assert "w:vcpu: unknown key (did you mean 'vcpus'?)" in errors
    assert "w:vcpus: is required" in errors
    assert "w:ram: must be an integer >= 1, got '1G'" in errors
    assert any(e.startswith("w:projects: project access applies to private flavors only") for e in errors)


# ----------------------------------------------------------------------------- flavor plans

LIVE = {
    "id": "f1",
    "name": "m1",
    "vcpus": 2,
    "ram": 2048,
    "disk": 20,
    "ephemeral": 0,
    "swap": 0,
    "is_public": True,
    "description": None,
    "extra_specs": {"hw:cpu_policy": "shared", "other": "x"},
    "projects": [],
}


def _spec(**kw):
    return dict({"name": "m1", "vcpus": 2, "ram": 2048, "disk": 20}, **kw)


def test_plan_create():
    item = flavor.plan(_spec(extra_specs={"hw:numa_nodes": 2}), None)
    assert item["action"] == "create"
    assert item["changes"]["extra_specs"] == {"old": {}, "new": {"hw:numa_nodes": "2"}}


def test_plan_only_listed_specs_unless_purged():
    same = flavor.plan(_spec(extra_specs={"hw:cpu_policy": "shared"}), LIVE)
    assert same["action"] == "none" and same["changes"] == {}
    purge = flavor.plan(_spec(extra_specs={"hw:cpu_policy": "shared"}, purge_extra_specs=True), LIVE)
    assert purge["unset_specs"] == ["other"]
    assert purge["changes"] == {"extra_specs": {"old": {"other": "x"}, "new": {}}}


def test_plan_refuses_immutable_change_and_recreates_with_the_kept_specs():
    refused = flavor.plan(_spec(ram=4096), LIVE)
    assert refused["action"] == "refuse" and "ram: 2048 -> 4096" in refused["comment"]
    again = flavor.plan(_spec(ram=4096, recreate=True, extra_specs={"hw:numa_nodes": 2}), LIVE)
    assert again["action"] == "recreate"
    assert again["changes"]["recreated"] == {"ram": {"old": 2048, "new": 4096}}
    assert again["set_specs"] == {"hw:cpu_policy": "shared", "other": "x", "hw:numa_nodes": "2"}


def test_plan_projects_by_name_and_id():
    live = dict(LIVE, is_public=False, projects=["id-a", "id-old"])
    item = flavor.plan(
        _spec(is_public=False, projects=["a", "b"]), live, project_ids={"a": "id-a", "b": "id-b"}
    )
    assert item["add_projects"] == ["id-b"] and item["remove_projects"] == ["id-old"]
    assert item["changes"]["projects"] == {"added": ["b"], "removed": ["id-old"]}


# ----------------------------------------------------------------------------- aggregates

HYPERVISORS = [
    {"name": "compute1", "host": "compute1"},
    {"name": "compute2", "host": "compute2"},
    {"name": "8a0e-node-uuid", "host": "controller1"},
]


def test_hosts_from_pattern_and_list():
    assert aggregate.select_hosts(HYPERVISORS, hosts_matching="*compute*") == (["compute1", "compute2"], [])
    # An Ironic hypervisor is named after its node: the pattern also matches host names.
    assert aggregate.select_hosts(HYPERVISORS, hosts_matching="controller*") == (["controller1"], [])
    assert aggregate.select_hosts(HYPERVISORS, hosts=["compute9", "compute1"]) == (["compute1"], ["compute9"])


def test_aggregate_plan():
    live = {
        "name": "a",
        "availability_zone": None,
        "metadata": {"baremetal": "true", "k": "v"},
        "hosts": ["x"],
    }
    item = aggregate.plan({"name": "a", "metadata": {"baremetal": False}}, live, ["compute1"])
    assert item["changes"] == {
        "metadata": {"old": {"baremetal": "true"}, "new": {"baremetal": "false"}},
        "hosts": {"added": ["compute1"]},
    }
    purge = aggregate.plan({"name": "a", "purge_hosts": True, "purge_metadata": True}, live, [])
    assert purge["remove_hosts"] == ["x"] and purge["set_metadata"] == {"baremetal": None, "k": None}
    assert aggregate.validate({"name": "a", "metadata": {"availability_zone": "z"}, "hosts": "c1"}) == [
        "aggregate:metadata:availability_zone: set availability_zone instead",
        "aggregate:hosts: must be a list of compute host names",
    ]


# ----------------------------------------------------------------------------- images


def test_image_properties_validation():
    assert image.validate({"hw_cpu_sockets": 2, "os_type": "windows", "release_date": "2026-10-01"}) == []
    errors = image.validate(
        {"hw_cpu_socket": 2, "os_type": "win", "size": 1, "hw_numa_cpus.2": "0", "x": None}
    )
    assert (
        "properties:hw_cpu_socket: is not an image property Nova knows (did you mean 'hw_cpu_sockets'?)"
        in errors
    )
    assert "properties:os_type: must be one of linux, windows, got 'win'" in errors
    assert "properties:size: is a Glance attribute, not a property this state sets" in errors
    assert any(e.startswith("properties:x: must be a single value") for e in errors)
    assert image.validate({"hw_numa_cpus.2": "0"}) == [
        "properties:hw_numa_cpus.2: needs hw_numa_nodes greater than 2"
    ]


def test_windows_warning_and_plan():
    assert image.warnings({"os_type": "windows", "os_distro": "windows"}) == []
    assert "set os_distro: windows too" in image.warnings({"os_type": "windows"})[0]
    assert "set os_type: windows too" in image.warnings({"os_distro": "windows", "os_type": "linux"})[0]
    item = image.plan({"recommended": True, "hw_cpu_cores": 8}, {"recommended": "true", "other": "y"})
    assert item == {"set": {"hw_cpu_cores": "8"}, "changes": {"old": {}, "new": {"hw_cpu_cores": "8"}}}


# ----------------------------------------------------------------------------- pillar schema

SCHEMA = schema_lib.load_schema((REPO / "salt/openstack/schema.yaml").read_text(), source="openstack")


@pytest.mark.parametrize(
    ("pillar", "error"),
    [
        ({"flavors": {"f": {"vcpus": 1}}}, "openstack:flavors:f: 'ram' is required"),
        ({"flavors": {"f": {"vcpus": 1, "ram": 1, "vpcus": 2}}}, "openstack:flavors:f"),
        (
            {"flavors": {"f": {"vcpus": 1, "ram": 1, "extra_specs": {"hw:numa_nodes": [2]}}}},
            "openstack:flavors:f:extra_specs:hw:numa_nodes",
        ),
        ({"aggregates": {"a": {"hosts": "compute1"}}}, "openstack:aggregates:a:hosts"),
        ({"aggregates": {"a": {"metadata": {"availability_zone": "z"}}}}, "openstack:aggregates:a:metadata"),
        ({"images": {"i": {"os_type": "windows"}}}, "openstack:images:i"),
        ({"flavours": {}}, "openstack"),
    ],
)
def test_bad_openstack_pillar_names_the_key(pillar, error):
    errors = schema_lib.validate(pillar, SCHEMA, root="openstack")
    assert any(error in e for e in errors), errors


def test_pillar_example_extra_specs_and_properties_pass_the_states_checks():
    example = yaml.safe_load((REPO / "salt/openstack/pillar.example").read_text())["openstack"]
    for name, spec in example["flavors"].items():
        assert flavor.validate(dict(spec, name=name), where=name) == []
    for name, spec in example["images"].items():
        if "source" in spec:  # an upload: openstack_image.present checks it whole
            # with the state's defaults, as openstack_image.present passes them
            args = {"disk_format": "qcow2", "container_format": "bare", "visibility": "private", **spec}
            # an RBD import (glance_rbd_image.present) checks the rest by the same rules
            args.pop("rbd", None)
            assert image.validate_present(dict(args, name=name), where=name) == [], name
            continue
        assert image.validate(spec["properties"], where=name) == []
        assert image.warnings(spec["properties"]) == []


def test_demo_site_pillar_is_valid():
    # pillar/roles/cloud-admin.sls is plain YAML (no Jinja): the master's cloud objects.
    data = yaml.safe_load((REPO / "pillar/roles/cloud-admin.sls").read_text())["openstack"]
    assert schema_lib.validate(data, SCHEMA, root="openstack") == []
    for name, spec in data["flavors"].items():
        assert flavor.validate(dict(spec, name=name), where=name) == []
