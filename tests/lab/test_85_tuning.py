"""
nova.tuning on compute1 (pillar/roles/compute.sls), applied by the lab's highstate: the boot
configuration (grub drop-in, tmpfiles.d, modprobe.d) written, nova.conf's CPU sets and reserved
huge pages, `numa_memory.spread` agreeing with compute1's own per-node meminfo, and what a
container cannot apply (its /sys is read-only) reported in the tuning states' comments: result
True and no changes in both applies, and test=True saying exactly the same.
"""

import json
import re
import subprocess

import pytest
import yaml

from .conftest import REPO

pytestmark = pytest.mark.lab

COMPUTE = "compute1"
GRUB = "/etc/default/grub.d/90-stacksalt-nova-tuning.cfg"
TMPFILES = "/etc/tmpfiles.d/stacksalt-nova-ksm.conf"
MODPROBE = "/etc/modprobe.d/kvm_intel.conf"
RUNTIME_STATES = ("nova-tuning-hugepages-applied", "nova-tuning-ksm-applied", "nova-tuning-kvm-intel-checked")
_MEMINFO = re.compile(r"Node (\d+) (HugePages_Total|HugePages_Free):\s+(\d+)")


def tuning():
    """compute1's nova:tuning as the site's pillar gives it (the role file is plain YAML)."""
    return yaml.safe_load((REPO / "pillar" / "roles" / "compute.sls").read_text())["nova"]["tuning"]


def exec_on(name, *cmd, timeout=300):
    """`podman exec NAME CMD...` (the lab's podman config, from conftest): (rc, stdout, stderr)."""
    proc = subprocess.run(
        ["podman", "exec", name, *cmd], capture_output=True, text=True, timeout=timeout, check=False
    )  # fmt: skip
    return proc.returncode, proc.stdout, proc.stderr


def salt_call(*args):
    """salt-call on compute1 itself, its JSON output's `local` (no return event: nothing for the
    master's job cache)."""
    rc, out, err = exec_on(COMPUTE, "salt-call", "--out", "json", "--no-return-event", *args)
    assert rc == 0, f"salt-call {' '.join(args)}: rc {rc}\n{out[-3000:]}{err[-2000:]}"
    return json.loads(out)["local"]


def by_id(returns):
    """compute1's tuning states of one apply, by state ID."""
    return {key.split("_|-")[1]: ret for key, ret in returns.items() if "_|-nova-tuning-" in key}


def sys_read_only():
    """Whether compute1's /sys is a read-only mount, asked the way host_tuning asks it."""
    rc, out, err = exec_on(
        COMPUTE,
        "/opt/saltstack/salt/bin/python3",
        "-c",
        "import os; print(bool(os.statvfs('/sys').f_flag & os.ST_RDONLY))",
    )
    assert rc == 0, err
    return out.strip() == "True"


def live(path):
    """A file of compute1's /sys (the build host's kernel, seen from the container), or None."""
    rc, out, _ = exec_on(COMPUTE, "cat", path)
    return out.strip() if rc == 0 else None


def test_the_container_cannot_change_the_running_kernel(lab_up, second_apply):
    # the premise of the reports below: the lab's hosts are unprivileged containers
    assert sys_read_only(), f"{COMPUTE}'s /sys is writable: its tuning would change the build host's kernel"


def test_the_boot_configuration_carries_the_huge_pages(hosts, second_apply):
    pages = tuning()["hugepages"]
    size, count = pages["size"], pages["count"]
    drop_in = hosts[COMPUTE].file(GRUB)
    assert drop_in.exists and drop_in.user == "root" and drop_in.mode == 0o644
    cmdline = f"default_hugepagesz={size} hugepagesz={size} hugepages={count}"
    assert f'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX {cmdline}"' in drop_in.content_string.splitlines()
    # grub-mkconfig sources the drop-in after /etc/default/grub: it extends what is there
    out = hosts[COMPUTE].run(
        "sh -c %s", f'GRUB_CMDLINE_LINUX="quiet"; . {GRUB}; printf %s "$GRUB_CMDLINE_LINUX"'
    )
    assert out.rc == 0 and out.stdout == f"quiet {cmdline}", out.stdout + out.stderr


def test_grub_is_only_updated_where_it_is_installed(hosts, first_apply, second_apply):
    assert hosts[COMPUTE].run("command -v update-grub").rc != 0, (
        "the lab's image has grub now: check update-grub"
    )
    first = by_id(first_apply["returns"][COMPUTE])
    assert first["nova-tuning-boot-cmdline-managed"]["changes"], "the first apply wrote no grub drop-in"
    updated = first["nova-tuning-boot-config-updated"]
    assert updated["result"] is True and updated["changes"] == {}, updated
    assert "onlyif condition is false" in updated["comment"], updated["comment"]


def test_ksm_is_off_at_every_boot_through_tmpfiles(hosts, second_apply):
    entry = hosts[COMPUTE].file(TMPFILES)
    assert entry.exists and entry.mode == 0o644
    assert "w- /sys/kernel/mm/ksm/run - - - - 0" in entry.content_string.splitlines()
    # systemd reads it (its merged view of tmpfiles.d) ...
    config = hosts[COMPUTE].run("systemd-tmpfiles --cat-config")
    assert config.rc == 0 and f"# {TMPFILES}" in config.stdout
    # ... and a boot in a container (read-only /sys) does not fail on it: "w-"
    if sys_read_only():
        created = hosts[COMPUTE].run(f"systemd-tmpfiles --create {TMPFILES}")
        assert created.rc == 0, created.stdout + created.stderr


def test_kvm_intel_gets_ept_from_modprobe_d(hosts, second_apply):
    options = hosts[COMPUTE].file(MODPROBE)
    assert options.exists and options.mode == 0o644
    wanted = "options kvm_intel " + " ".join(
        f"{key}={int(value) if isinstance(value, bool) else value}"
        for key, value in sorted(tuning()["kvm_intel"].items())
    )
    assert wanted in options.content_string.splitlines(), "options kvm_intel ept=1 is not in " + MODPROBE


def test_nova_conf_has_the_cpu_sets_and_the_reserved_huge_pages(hosts, second_apply):
    t = tuning()
    # nova.conf holds passwords: only the tuning's lines are ever printed
    text = hosts[COMPUTE].file("/etc/nova/nova.conf").content_string
    sections, current = {}, None
    for line in text.splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif current and "=" in line:
            key, _, value = (part.strip() for part in line.partition("="))
            sections.setdefault(current, []).append((key, value))
    compute = [(k, v) for k, v in sections.get("compute", []) if k in ("cpu_dedicated_set", "cpu_shared_set")]
    assert compute == [
        ("cpu_dedicated_set", t["cpu_dedicated_set"]),
        ("cpu_shared_set", t["cpu_shared_set"]),
    ], compute
    reserved = [v for k, v in sections.get("DEFAULT", []) if k == "reserved_huge_pages"]
    assert reserved == [
        f"node:{r['node']},size:{r['size']},count:{r['count']}" for r in t["reserved_huge_pages"]
    ], reserved
    service = hosts[COMPUTE].service("nova-compute")
    assert service.is_running, "nova-compute does not run with the tuned nova.conf"


def test_numa_spread_agrees_with_the_hosts_own_meminfo(second_apply):
    spread = salt_call("numa_memory.spread")
    # compute1's own view, read apart from the module: every node's meminfo, and the default
    # huge page size (meminfo's HugePages_* lines count only that size)
    rc, text, err = exec_on(COMPUTE, "sh", "-c", "cat /sys/devices/system/node/node*/meminfo")
    assert rc == 0, err
    counts = {}
    for match in _MEMINFO.finditer(text):
        counts.setdefault(int(match[1]), {})[match[2]] = int(match[3])
    assert counts, f"no HugePages_* lines in {COMPUTE}'s node meminfo files"
    rc, meminfo, err = exec_on(COMPUTE, "cat", "/proc/meminfo")
    (default_kb,) = re.findall(r"^Hugepagesize:\s+(\d+) kB$", meminfo, re.M)
    label = f"{default_kb}kB"
    assert spread["nodes"] == len(counts), (spread["nodes"], sorted(counts))
    size = spread["sizes"][label]
    # over JSON the node numbers are strings
    assert {int(n): c for n, c in size["total"].items()} == {
        n: c["HugePages_Total"] for n, c in counts.items()
    }
    assert {int(n): c for n, c in size["free"].items()} == {n: c["HugePages_Free"] for n, c in counts.items()}
    totals = [c["HugePages_Total"] for c in counts.values()]
    assert size["imbalance"] == max(totals) - min(totals)
    assert size["even"] is (len(totals) == 1 or not any(totals) or size["imbalance"] == 0)


def test_the_tuning_states_say_what_the_container_could_not_apply(second_apply):
    states = by_id(second_apply["returns"][COMPUTE])
    assert set(RUNTIME_STATES) <= set(states), sorted(states)
    changed = {k: r["changes"] for k, r in states.items() if r["changes"] or r["result"] is not True}
    assert not changed, changed
    t, read_only = tuning(), sys_read_only()

    pages = states["nova-tuning-hugepages-applied"]["comment"]
    size_kb = {"2M": 2048, "1G": 1048576}[t["hugepages"]["size"]]
    pool = live(f"/sys/kernel/mm/hugepages/hugepages-{size_kb}kB/nr_hugepages")
    if pool is not None and int(pool) == t["hugepages"]["count"]:
        assert "as wanted" in pages, pages
    else:
        assert read_only
        assert f"{t['hugepages']['count']} wanted, {pool} in the running kernel's pool" in pages, pages
        assert "not applied to the running kernel" in pages and "read-only file system" in pages, pages
        assert f"the boot configuration carries it (the kernel command line in {GRUB})" in pages, pages
    assert "spread across NUMA nodes" in pages, pages

    ksm = states["nova-tuning-ksm-applied"]["comment"]
    run = live("/sys/kernel/mm/ksm/run")
    if run is None:
        assert "this kernel has no KSM" in ksm, ksm
    elif int(run) == 0:
        assert ksm == "KSM: run=0 in the running kernel, as wanted", ksm
    else:
        assert f"KSM: run=0 wanted, run={run} in the running kernel: not applied" in ksm, ksm
        assert "read-only file system" in ksm and TMPFILES in ksm, ksm

    kvm = states["nova-tuning-kvm-intel-checked"]["comment"]
    if live("/sys/module/kvm_intel/parameters/ept") is None:
        assert kvm.startswith("kvm_intel: not loaded in the running kernel") and MODPROBE in kvm, kvm
    else:
        assert "kvm_intel: loaded with" in kvm, kvm
    print("compute1 tuning:", json.dumps({k: states[k]["comment"] for k in RUNTIME_STATES}, indent=1))


def test_test_mode_says_exactly_what_the_apply_did(fresh_plan, second_apply):
    applied = by_id(second_apply["returns"][COMPUTE])
    planned = by_id(salt_call("state.sls", "nova.tuning", "test=True"))
    assert set(planned) == set(applied), (sorted(planned), sorted(applied))
    for state_id, ret in applied.items():
        assert (planned[state_id]["result"], planned[state_id]["changes"]) == (
            ret["result"],
            ret["changes"],
        ), state_id
    # the runtime reports word for word (file.managed words its test=True comment its own way)
    for state_id in RUNTIME_STATES:
        assert planned[state_id]["comment"] == applied[state_id]["comment"], state_id
    # on the fresh site too, before anything was written: the runtime reports were the same
    fresh = by_id(fresh_plan["returns"][COMPUTE])
    for state_id in RUNTIME_STATES:
        assert fresh[state_id]["result"] is True and fresh[state_id]["changes"] == {}, fresh[state_id]
        assert fresh[state_id]["comment"] == applied[state_id]["comment"], state_id
