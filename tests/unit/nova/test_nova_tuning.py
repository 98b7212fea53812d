"""nova.tuning (CERN's hypervisor tuning) rendered the way a minion renders it (salt-call --local
state.show_sls): the states and files of a tuned pillar, nothing at all without one (nova.conf
and every other state as before), nova.conf's CPU sets and reserved huge pages, and bad pillars
rejected naming their key path."""

import copy
import json
import pathlib

import pytest
import yaml

from tests.support import formula
from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
FORMULA = REPO / "salt" / "nova"
GRUB = "/etc/default/grub.d/90-stacksalt-nova-tuning.cfg"
TMPFILES = "/etc/tmpfiles.d/stacksalt-nova-ksm.conf"
MODPROBE = "/etc/modprobe.d/kvm_intel.conf"
TUNING_STATES = {
    "nova-tuning-boot-cmdline-managed",
    "nova-tuning-boot-config-updated",
    "nova-tuning-hugepages-applied",
    "nova-tuning-ksm-persisted",
    "nova-tuning-ksm-applied",
    "nova-tuning-kvm-intel-options-managed",
    "nova-tuning-kvm-intel-checked",
}

schema_lib = load_file(REPO / "_utils/stacksalt_schema.py", "stacksalt_schema_nova_tuning")


def example():
    return yaml.safe_load((FORMULA / "pillar.example").read_text())


def pillar_with(tuning):
    """pillar.example with plain addresses (a local render has no Salt mine) and this tuning."""
    pillar = example()
    pillar["nova"]["messaging"]["host"] = "10.0.0.12"
    pillar["nova"]["keystone"]["auth_url"] = "http://10.0.0.12:5000/v3"
    if tuning is None:
        pillar["nova"].pop("tuning")
    else:
        pillar["nova"]["tuning"] = tuning
    return pillar


def render(tmp_path, pillar, sls="nova"):
    return formula.show_sls(tmp_path, yaml.safe_dump(pillar), sls)


def nova_conf(states, pillar):
    args = formula.state_args(states, "nova-config-file-managed")
    return formula.render_template("nova", "nova.conf.jinja", args["context"], pillar)


def template(states, state_id, name, pillar):
    return formula.render_template("nova", name, formula.state_args(states, state_id)["context"], pillar)


def section(conf, name):
    """The lines of every [name] section of an ini text, in order."""
    lines, inside = [], False
    for line in conf.splitlines():
        if line.startswith("["):
            inside = line == f"[{name}]"
        elif inside and line.strip():
            lines.append(line)
    return lines


def test_the_example_renders_every_part_of_the_tuning(tmp_path):
    pillar = pillar_with(example()["nova"]["tuning"])
    states = render(tmp_path, pillar)
    assert TUNING_STATES <= set(states)
    assert all(states[s]["__sls__"] == "nova.tuning" for s in TUNING_STATES)

    cmdline = formula.state_args(states, "nova-tuning-boot-cmdline-managed")
    assert cmdline["name"] == GRUB and cmdline["mode"] == "0644"
    grub = template(states, "nova-tuning-boot-cmdline-managed", "grub-tuning.cfg.jinja", pillar)
    assert grub.splitlines()[0].startswith("# Managed by Salt (stacksalt nova formula")
    assert (
        grub.splitlines()[-1]
        == 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX default_hugepagesz=2M hugepagesz=2M hugepages=1024"'
    )
    # grub.cfg is regenerated on a change, and only where grub is installed; never a reboot
    update = formula.state_args(states, "nova-tuning-boot-config-updated", "cmd")
    assert update["name"] == "update-grub" and update["onlyif"] == "command -v update-grub"
    assert update["onchanges"] == [{"file": "nova-tuning-boot-cmdline-managed"}]
    assert "reboot" not in json.dumps(states)

    pages = formula.state_args(states, "nova-tuning-hugepages-applied")
    assert {k: pages[k] for k in ("name", "count", "tolerance", "require_even")} == {
        "name": "2M",
        "count": 1024,
        "tolerance": 0,
        "require_even": False,
    }
    assert pages["persisted_by"] == f"the kernel command line in {GRUB}"
    assert {"file": "nova-tuning-boot-cmdline-managed"} in pages["require"]

    assert formula.state_args(states, "nova-tuning-ksm-persisted")["name"] == TMPFILES
    tmpfiles = template(states, "nova-tuning-ksm-persisted", "ksm-tmpfiles.conf.jinja", pillar)
    assert tmpfiles.splitlines()[-1] == "w- /sys/kernel/mm/ksm/run - - - - 0"
    ksm = formula.state_args(states, "nova-tuning-ksm-applied")
    assert ksm["run"] == 0 and ksm["persisted_by"] == TMPFILES

    assert formula.state_args(states, "nova-tuning-kvm-intel-options-managed")["name"] == MODPROBE
    modprobe = template(states, "nova-tuning-kvm-intel-options-managed", "kvm_intel.conf.jinja", pillar)
    assert modprobe.splitlines()[-1] == "options kvm_intel ept=1"
    kvm = formula.state_args(states, "nova-tuning-kvm-intel-checked")
    assert kvm["parameters"] == {"ept": True} and kvm["persisted_by"] == MODPROBE

    # every tuning state waits for the pillar check
    for state_id in ("nova-tuning-boot-cmdline-managed", "nova-tuning-ksm-persisted"):
        assert {"pillar_schema": "nova-pillar-schema-validated"} in formula.state_args(states, state_id)[
            "require"
        ]


@pytest.mark.parametrize(
    "size,name,cmdline",
    [
        ("1G", "1G", "default_hugepagesz=1G hugepagesz=1G hugepages=16"),
        ("2048kB", "2M", "default_hugepagesz=2M hugepagesz=2M hugepages=16"),
        ("1GB", "1G", "default_hugepagesz=1G hugepagesz=1G hugepages=16"),
    ],
)
def test_page_sizes_reach_the_kernel_in_its_spelling(tmp_path, size, name, cmdline):
    pillar = pillar_with({"enabled": True, "hugepages": {"size": size, "count": 16, "require_even": True}})
    states = render(tmp_path, pillar)
    grub = template(states, "nova-tuning-boot-cmdline-managed", "grub-tuning.cfg.jinja", pillar)
    assert grub.splitlines()[-1] == f'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX {cmdline}"'
    pages = formula.state_args(states, "nova-tuning-hugepages-applied")
    assert pages["name"] == name and pages["require_even"] is True
    # only what pillar sets: no KSM, no kvm_intel states
    assert {s for s in states if s.startswith("nova-tuning-")} == {
        "nova-tuning-boot-cmdline-managed",
        "nova-tuning-boot-config-updated",
        "nova-tuning-hugepages-applied",
    }


def test_only_the_parts_pillar_sets(tmp_path):
    states = render(tmp_path, pillar_with({"enabled": True, "ksm": True}))
    assert {s for s in states if s.startswith("nova-tuning-")} == {
        "nova-tuning-ksm-persisted",
        "nova-tuning-ksm-applied",
    }
    assert formula.state_args(states, "nova-tuning-ksm-applied")["run"] == 1


@pytest.mark.parametrize(
    "tuning",
    [
        None,
        {"enabled": False},
        {
            "enabled": False,
            "hugepages": {"count": 64},
            "ksm": False,
            "kvm_intel": {"ept": True},
            "cpu_dedicated_set": "1",
            "cpu_shared_set": "0",
            "reserved_huge_pages": [{"node": 0, "size": 2048, "count": 8}],
        },
    ],
    ids=["absent", "disabled", "disabled-with-values"],
)
def test_no_tuning_without_the_pillar_and_nova_conf_as_before(tmp_path, tuning):
    pillar = pillar_with(tuning)
    (tmp_path / "off").mkdir()
    states = render(tmp_path / "off", pillar)
    assert not [s for s in states if "tuning" in s or "cpu" in s]
    assert not [s for s, body in states.items() if "host_tuning" in body]
    # the state that writes nova.conf is the untuned one: no tuning in its context
    assert "tuning" not in formula.state_args(states, "nova-config-file-managed")["context"]
    conf = nova_conf(states, pillar)
    assert "[compute]" not in conf and "reserved_huge_pages" not in conf and "cpu_" not in conf
    # the same file as a pillar that never heard of tuning renders
    (tmp_path / "none").mkdir()
    untuned = pillar_with(None)
    assert conf == nova_conf(render(tmp_path / "none", untuned), untuned)


def test_nova_conf_gets_the_cpu_sets_and_one_line_per_reservation(tmp_path):
    pillar = pillar_with(
        {
            "enabled": True,
            "cpu_dedicated_set": "4-15,^8",
            "cpu_shared_set": "0-3,8",
            "reserved_huge_pages": [
                {"node": 0, "size": 2048, "count": 64},
                {"node": 1, "size": "1G", "count": 1},
                {"node": 1, "size": "2MB", "count": 32},
            ],
        }
    )
    states = render(tmp_path, pillar)
    assert "nova-config-cpu-sets-checked" not in states
    conf = nova_conf(states, pillar)
    assert section(conf, "compute") == ["cpu_dedicated_set = 4-15,^8", "cpu_shared_set = 0-3,8"]
    # oslo.config's multi-valued option: the key repeated, in [DEFAULT], sizes in kB for Nova
    default = section(conf, "DEFAULT")
    assert [line for line in default if line.startswith("reserved_huge_pages")] == [
        "reserved_huge_pages = node:0,size:2048,count:64",
        "reserved_huge_pages = node:1,size:1048576,count:1",
        "reserved_huge_pages = node:1,size:2048,count:32",
    ]
    first_default = conf.split("[DEFAULT]\n", 1)[1].split("\n[", 1)[0]
    assert "reserved_huge_pages = node:0,size:2048,count:64" in first_default
    # no tuning state for a tuning that only touches nova.conf
    assert not [s for s in states if s.startswith("nova-tuning-")]


def test_only_one_cpu_set_renders_only_that_line(tmp_path):
    pillar = pillar_with({"enabled": True, "cpu_shared_set": "0-1"})
    conf = nova_conf(render(tmp_path, pillar), pillar)
    assert section(conf, "compute") == ["cpu_shared_set = 0-1"]
    assert "reserved_huge_pages" not in conf


@pytest.mark.parametrize(
    "sets,problem",
    [
        (
            {"cpu_dedicated_set": "2-5,^4", "cpu_shared_set": "0-3"},
            "nova:tuning:cpu_dedicated_set and nova:tuning:cpu_shared_set share CPU(s) 2, 3 "
            "(Nova refuses to start: they must be disjoint)",
        ),
        ({"cpu_shared_set": "0-3,9-7"}, "nova:tuning:cpu_shared_set: the range 9-7 runs backwards"),
        ({"cpu_dedicated_set": "0-3,^0-3"}, "nova:tuning:cpu_dedicated_set: 0-3,^0-3 leaves no CPU"),
    ],
    ids=["overlap", "backwards", "empty"],
)
def test_cpu_sets_nova_would_refuse_stop_nova_conf_naming_the_key(tmp_path, sets, problem):
    states = render(tmp_path, pillar_with({"enabled": True, **sets}))
    failing = formula.state_args(states, "nova-config-cpu-sets-checked", "test")
    assert problem in failing["name"] and "nova.conf was not changed" in failing["name"]
    assert failing["require_in"] == [{"file": "nova-config-file-managed"}]


def test_clean_removes_the_boot_configuration_and_only_our_kvm_intel_conf(tmp_path):
    states = render(tmp_path, pillar_with(example()["nova"]["tuning"]), sls="nova.clean")
    assert formula.state_args(states, "nova-tuning-boot-cmdline-absent")["name"] == GRUB
    assert formula.state_args(states, "nova-tuning-ksm-persisted-absent")["name"] == TMPFILES
    update = formula.state_args(states, "nova-tuning-boot-config-cleaned", "cmd")
    assert update["onlyif"] == "command -v update-grub"
    assert update["onchanges"] == [{"file": "nova-tuning-boot-cmdline-absent"}]
    kvm = formula.state_args(states, "nova-tuning-kvm-intel-options-absent")
    assert kvm["name"] == MODPROBE
    assert kvm["onlyif"] == [{"fun": "file.contains", "path": MODPROBE, "text": "stacksalt nova formula"}]
    # the marker it looks for is in the file the formula writes
    pillar = pillar_with(example()["nova"]["tuning"])
    (tmp_path / "apply").mkdir()
    written = template(
        render(tmp_path / "apply", pillar),
        "nova-tuning-kvm-intel-options-managed",
        "kvm_intel.conf.jinja",
        pillar,
    )
    assert "stacksalt nova formula" in written
    # no host_tuning state in clean: the running kernel is left as it is
    assert not [s for s, body in states.items() if "host_tuning" in body]


def _errors(tuning):
    data = copy.deepcopy(example()["nova"])
    data["tuning"] = tuning
    schema = schema_lib.load_schema((FORMULA / "schema.yaml").read_text())
    return schema_lib.validate(data, schema, root="nova")


@pytest.mark.parametrize(
    "tuning,where,reason",
    [
        ({"hugepages": {"count": 1}}, "nova:tuning", "'enabled' is required"),
        ({"enabled": "yes"}, "nova:tuning:enabled", "must be of type boolean"),
        (
            {"enabled": True, "hugepages": {"size": "2X", "count": 1}},
            "nova:tuning:hugepages:size",
            "page size",
        ),
        (
            {"enabled": True, "hugepages": {"size": "0M", "count": 1}},
            "nova:tuning:hugepages:size",
            "page size",
        ),
        ({"enabled": True, "hugepages": {"size": "2M", "count": -1}}, "nova:tuning:hugepages:count", ">= 0"),
        ({"enabled": True, "hugepages": {"size": "2M"}}, "nova:tuning:hugepages", "'count' is required"),
        (
            {"enabled": True, "hugepages": {"count": 1, "tolerance": -1}},
            "nova:tuning:hugepages:tolerance",
            ">= 0",
        ),
        ({"enabled": True, "ksm": 0}, "nova:tuning:ksm", "must be of type boolean"),
        ({"enabled": True, "kvm_intel": {"ept": 1}}, "nova:tuning:kvm_intel:ept", "must be of type boolean"),
        (
            {"enabled": True, "kvm_intel": {"nested": True}},
            "nova:tuning:kvm_intel",
            "unknown key(s) 'nested'",
        ),
        ({"enabled": True, "cpu_dedicated_set": "^2,0-3"}, "nova:tuning:cpu_dedicated_set", "a CPU set"),
        ({"enabled": True, "cpu_shared_set": "0 - 3"}, "nova:tuning:cpu_shared_set", "a CPU set"),
        ({"enabled": True, "cpu_shared_set": "0-3\n[x]"}, "nova:tuning:cpu_shared_set", "a CPU set"),
        ({"enabled": True, "cpu_shared_set": 3}, "nova:tuning:cpu_shared_set", "must be of type string"),
        (
            {"enabled": True, "reserved_huge_pages": [{"node": 0, "size": "2X", "count": 1}]},
            "nova:tuning:reserved_huge_pages:0:size",
            "a page size",
        ),
        (
            {"enabled": True, "reserved_huge_pages": [{"node": 0, "size": 0, "count": 1}]},
            "nova:tuning:reserved_huge_pages:0:size",
            ">= 1",
        ),
        (
            {"enabled": True, "reserved_huge_pages": [{"node": -1, "size": 2048, "count": 1}]},
            "nova:tuning:reserved_huge_pages:0:node",
            ">= 0",
        ),
        (
            {
                "enabled": True,
                "reserved_huge_pages": [{"node": 0, "size": 2048, "count": 1}, {"node": 0, "size": 2048}],
            },
            "nova:tuning:reserved_huge_pages:1",
            "'count' is required",
        ),
        (
            {"enabled": True, "reserved_huge_pages": {"node": 0, "size": 2048, "count": 1}},
            "nova:tuning:reserved_huge_pages",
            "must be of type array",
        ),
        ({"enabled": True, "files": {"grub": "/tmp/x"}}, "nova:tuning", "unknown key(s) 'files'"),
    ],
)
def test_bad_tuning_is_rejected_naming_its_key_path(tuning, where, reason):
    errors = _errors(tuning)
    at_path = [e for e in errors if e.startswith(where + ": ")]
    assert at_path and any(reason in e for e in at_path), errors


@pytest.mark.parametrize(
    "tuning",
    [
        {"enabled": False},
        {"enabled": True, "cpu_dedicated_set": "0-3,8,^2", "cpu_shared_set": "9,10-11"},
        {"enabled": True, "hugepages": {"size": "1GB", "count": 0}},
        {"enabled": True, "hugepages": {"size": "2048kB", "count": 8, "tolerance": 2, "require_even": True}},
        {
            "enabled": True,
            "reserved_huge_pages": [
                {"node": 0, "size": "1G", "count": 1},
                {"node": 0, "size": 2048, "count": 1},
            ],
        },
    ],
)
def test_good_tuning_passes(tuning):
    assert _errors(tuning) == []


def test_the_lab_compute_hosts_tuning_is_valid():
    compute = yaml.safe_load((REPO / "pillar" / "roles" / "compute.sls").read_text())
    data = copy.deepcopy(example()["nova"])
    data["tuning"] = compute["nova"]["tuning"]
    assert _errors(data["tuning"]) == []
    assert data["tuning"]["enabled"] is True and data["tuning"]["hugepages"]["size"] == "2M"
