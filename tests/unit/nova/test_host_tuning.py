"""host_tuning (execution and state modules, _utils/stacksalt_sysfs.py): the running kernel's
huge page pool, KSM and kvm_intel's parameters, over a temp dir standing in for / (its sys/ and
proc/). Writable (changes), read-only as in a container (reported: result True, no changes, the
same comment in test=True and in a second run), already set (no changes), test=True exact.
Nothing here touches this machine's /sys: every call names the temp root."""

import errno
import os

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support.loader import util

pytestmark = pytest.mark.unit

GRUB = "the kernel command line in /etc/default/grub.d/90-stacksalt-nova-tuning.cfg"
TMPFILES = "/etc/tmpfiles.d/stacksalt-nova-ksm.conf"
MODPROBE = "/etc/modprobe.d/kvm_intel.conf"
sysfs = util("stacksalt_sysfs")


def make_root(tmp_path, pages=None, ksm=1, kvm_intel=None):
    """A tree standing for /: huge pages per size (kB) and node, KSM's run, kvm_intel's params."""
    root = tmp_path / "root"
    pages = {2048: [0, 0], 1048576: [0, 0]} if pages is None else pages
    for kb, per_node in pages.items():
        pool = root / "sys/kernel/mm/hugepages" / f"hugepages-{kb}kB"
        pool.mkdir(parents=True)
        (pool / "nr_hugepages").write_text(f"{sum(per_node)}\n")
        for node, count in enumerate(per_node):
            node_dir = root / "sys/devices/system/node" / f"node{node}"
            size_dir = node_dir / "hugepages" / f"hugepages-{kb}kB"
            size_dir.mkdir(parents=True)
            for name in ("nr_hugepages", "free_hugepages"):
                (size_dir / name).write_text(f"{count}\n")
            (size_dir / "surplus_hugepages").write_text("0\n")
            (node_dir / "meminfo").write_text(
                f"Node {node} MemTotal:       65843196 kB\nNode {node} MemFree:        45959780 kB\n"
            )
    if ksm is not None:
        (root / "sys/kernel/mm/ksm").mkdir(parents=True)
        (root / "sys/kernel/mm/ksm/run").write_text(f"{ksm}\n")
    if kvm_intel is not None:
        params = root / "sys/module/kvm_intel/parameters"
        params.mkdir(parents=True)
        for name, value in kvm_intel.items():
            (params / name).write_text(f"{value}\n")
    (root / "proc").mkdir(parents=True, exist_ok=True)
    (root / "proc/meminfo").write_text("MemTotal:       131871740 kB\nHugepagesize:       2048 kB\n")
    return root


def read(root, rel):
    return (root / rel).read_text().strip()


@pytest.fixture
def read_only(monkeypatch):
    """Make the temp root's sys/ a read-only mount (as a container's /sys), as statvfs says it."""

    def under(root):
        prefix = str(root / "sys") + os.sep
        monkeypatch.setattr(sysfs, "mount_read_only", lambda path: str(path).startswith(prefix))

    return under


@pytest.fixture
def tuning(salt_loader):
    """The execution module, with numa_memory beside it (the states' spread check)."""
    mod = salt_loader.module("host_tuning", grains={"kernel": "Linux"})
    numa = salt_loader.module("numa_memory", grains={"kernel": "Linux"})
    return {
        "host_tuning.hugepages": mod.hugepages,
        "host_tuning.set_hugepages": mod.set_hugepages,
        "host_tuning.ksm": mod.ksm,
        "host_tuning.set_ksm": mod.set_ksm,
        "host_tuning.module_parameters": mod.module_parameters,
        "numa_memory.spread": numa.spread,
        "_module": mod,
    }


def state(salt_loader, tuning, test=False):
    return salt_loader.state("host_tuning", salt=dict(tuning), opts={"test": test})


# --- the execution module -------------------------------------------------------------------


def test_virtual_loads_on_linux_only(salt_loader):
    loaded, reason = salt_loader.module("host_tuning", grains={"kernel": "FreeBSD"}).__virtual__()
    assert loaded is False and "Linux" in reason and "FreeBSD" in reason
    assert salt_loader.module("host_tuning", grains={"kernel": "Linux"}).__virtual__() == "host_tuning"
    loaded, reason = salt_loader.state("host_tuning", salt={}).__virtual__()
    assert loaded is False and "host_tuning execution module" in reason


def test_the_pool_of_a_size_in_every_spelling(tmp_path, tuning):
    root = make_root(tmp_path, pages={2048: [32, 32], 1048576: [1, 1]})
    mod = tuning["_module"]
    for size in ("2M", "2MB", "2048kB", "2048K", 2048, "2MiB"):
        got = mod.hugepages(size, root=str(root))
        assert got["size_kb"] == 2048 and got["count"] == 64 and got["kernel_size"] == "2M", size
    got = mod.hugepages("1G", root=str(root))
    assert got == {
        "size_kb": 1048576,
        "kernel_size": "1G",
        "path": str(root / "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"),
        "count": 2,
        "default_kb": 2048,
        "offered_kb": [2048, 1048576],
        "writable": True,
        "reason": None,
    }


def test_a_size_the_kernel_does_not_offer_names_those_it_does(tmp_path, tuning):
    root = make_root(tmp_path, pages={2048: [0]})
    with pytest.raises(CommandExecutionError, match=r"no 1048576kB huge pages \('1G'\).*offers: 2048kB"):
        tuning["_module"].hugepages("1G", root=str(root))
    with pytest.raises(SaltInvocationError, match="size: a page size"):
        tuning["_module"].hugepages("2X", root=str(root))
    with pytest.raises(CommandExecutionError, match="no huge pages"):
        tuning["_module"].hugepages("2M", root=str(tmp_path / "nothing"))


def test_set_reads_back_what_the_kernel_allocated(tmp_path, tuning, monkeypatch):
    root = make_root(tmp_path)
    mod = tuning["_module"]
    path = str(root / "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")
    assert mod.set_hugepages(64, root=str(root)) == {"path": path, "old": 0, "new": 64, "wanted": 64}
    with pytest.raises(SaltInvocationError, match="count: a whole number"):
        mod.set_hugepages(-1, root=str(root))
    with pytest.raises(SaltInvocationError, match="count: a whole number"):
        mod.set_hugepages(True, root=str(root))


def test_ksm_and_module_parameters(tmp_path, tuning):
    root = make_root(tmp_path, ksm=1, kvm_intel={"ept": "Y", "nested": "N"})
    mod = tuning["_module"]
    assert mod.ksm(root=str(root))["run"] == 1
    assert mod.set_ksm(0, root=str(root))["new"] == 0 and read(root, "sys/kernel/mm/ksm/run") == "0"
    with pytest.raises(SaltInvocationError, match="run: one of 0"):
        mod.set_ksm(3, root=str(root))
    assert mod.module_parameters("kvm_intel", root=str(root)) == {
        "loaded": True,
        "parameters": {"ept": "Y", "nested": "N"},
    }
    assert mod.module_parameters("kvm_amd", root=str(root)) == {"loaded": False, "parameters": {}}
    with pytest.raises(SaltInvocationError, match="module: a kernel module name"):
        mod.module_parameters("../etc", root=str(root))


def test_a_read_only_mount_is_said_before_any_write(tmp_path, tuning, read_only):
    root = make_root(tmp_path)
    read_only(root)
    got = tuning["_module"].hugepages("2M", root=str(root))
    assert got["writable"] is False and "read-only file system" in got["reason"]
    with pytest.raises(CommandExecutionError) as raised:
        tuning["_module"].set_hugepages(64, root=str(root))
    assert raised.value.kind == "read-only"
    assert "read-only" in sysfs.unwritable_cause(raised.value)
    assert read(root, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") == "0"


def test_sizes_and_their_kernel_spelling():
    assert [sysfs.size_kb(s) for s in ("2M", "2mb", "2048kB", "1G", "1GiB", "64K", 4)] == [
        2048,
        2048,
        2048,
        1048576,
        1048576,
        64,
        4,
    ]
    assert [sysfs.kernel_size(kb) for kb in (2048, 1048576, 64, 32768)] == ["2M", "1G", "64K", "32M"]
    for bad in ("", "0M", "2X", None, True, 2.5):
        with pytest.raises(SaltInvocationError, match="size: a page size"):
            sysfs.size_kb(bad)


# --- host_tuning.hugepages ------------------------------------------------------------------


def test_hugepages_writable_changes_and_test_mode_plans_exactly(tmp_path, salt_loader, tuning):
    root = make_root(tmp_path)
    args = {"name": "2M", "count": 64, "persisted_by": GRUB, "root": str(root)}
    path = root / "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    planned = state(salt_loader, tuning, test=True).hugepages(**args)
    assert planned["result"] is None and path.read_text().strip() == "0"
    assert planned["changes"] == {"nr_hugepages": {"old": 0, "new": 64}}
    assert "would set the running kernel's pool from 0 to 64" in planned["comment"]
    assert "checked once the pool is set" in planned["comment"]

    ret = state(salt_loader, tuning).hugepages(**args)
    assert ret["result"] is True and ret["changes"] == planned["changes"]
    assert path.read_text().strip() == "64"
    assert f"set the running kernel's pool from 0 to 64 ({path})" in ret["comment"]
    # the spread across NUMA nodes is reported (the temp tree's node files are static)
    assert "2048kB pages: node0 has 0, node1 has 0" in ret["comment"]

    for test in (False, True):
        again = state(salt_loader, tuning, test=test).hugepages(**args)
        assert again["result"] is True and again["changes"] == {}, test
        assert "2M huge pages: 64 in the running kernel's pool, as wanted" in again["comment"]


def test_hugepages_read_only_is_reported_not_failed(tmp_path, salt_loader, tuning, read_only, testmode):
    root = make_root(tmp_path)
    read_only(root)
    args = {"name": "2M", "count": 64, "persisted_by": GRUB, "root": str(root)}
    ret = state(salt_loader, tuning, test=testmode).hugepages(**args)
    nr = root / "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    assert ret["result"] is True and ret["changes"] == {}
    assert ret["comment"].startswith(
        "2M huge pages: 64 wanted, 0 in the running kernel's pool: not applied to the running kernel: "
        f"{nr} is on a read-only file system (a container's /sys and /proc/sys are read-only); "
        f"the boot configuration carries it ({GRUB}) for the next boot; "
    )
    assert nr.read_text().strip() == "0"
    # a second run, and the other mode, say exactly the same
    assert state(salt_loader, tuning, test=not testmode).hugepages(**args) == ret
    assert state(salt_loader, tuning, test=testmode).hugepages(**args) == ret


def test_a_write_refused_by_the_kernel_is_reported_like_a_read_only_mount(
    tmp_path, salt_loader, tuning, monkeypatch
):
    root = make_root(tmp_path)

    def refuse(path, text):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(sysfs, "_write_text", refuse)
    ret = state(salt_loader, tuning).hugepages(name="2M", count=64, persisted_by=GRUB, root=str(root))
    assert ret["result"] is True and ret["changes"] == {}
    assert "not applied to the running kernel: cannot write 64 to" in ret["comment"]
    assert "read-only file system" in ret["comment"] and GRUB in ret["comment"]


def test_any_other_write_error_fails(tmp_path, salt_loader, tuning, monkeypatch):
    root = make_root(tmp_path)

    def invalid(path, text):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(sysfs, "_write_text", invalid)
    ret = state(salt_loader, tuning).hugepages(name="2M", count=64, root=str(root))
    assert ret["result"] is False and ret["changes"] == {}
    assert "Invalid argument" in ret["comment"]


def test_fewer_pages_than_asked_are_said_with_what_the_kernel_allocated(
    tmp_path, salt_loader, tuning, monkeypatch
):
    root = make_root(tmp_path, pages={1048576: [0, 0]})
    real = sysfs._write_text
    # a fragmented host: the kernel finds room for half the 1 GB pages
    monkeypatch.setattr(sysfs, "_write_text", lambda path, text: real(path, str(int(text) // 2)))
    ret = state(salt_loader, tuning).hugepages(name="1G", count=8, persisted_by=GRUB, root=str(root))
    assert ret["result"] is True and ret["changes"] == {"nr_hugepages": {"old": 0, "new": 4}}
    assert "asked the running kernel for 8, it allocated 4" in ret["comment"]
    assert f"the boot configuration allocates them at boot ({GRUB})" in ret["comment"]


def test_an_uneven_spread_warns_and_fails_only_when_required(tmp_path, salt_loader, tuning, testmode):
    # CERN's finding: 1 GB pages 16 on node0, 4 on node1
    root = make_root(tmp_path, pages={2048: [4096, 4096], 1048576: [16, 4]})
    args = {"name": "1G", "count": 20, "root": str(root)}
    ret = state(salt_loader, tuning, test=testmode).hugepages(**args)
    assert ret["result"] is True and ret["changes"] == {}
    assert (
        "WARNING: 1G huge pages are unevenly spread across NUMA nodes: 1048576kB pages: node0 has 16, "
        "node1 has 4 (uneven by 12; tolerance 0)" in ret["comment"]
    )
    strict = state(salt_loader, tuning, test=testmode).hugepages(require_even=True, **args)
    assert strict["result"] is False and strict["changes"] == {}
    assert "unevenly spread across NUMA nodes (require_even)" in strict["comment"]
    tolerant = state(salt_loader, tuning, test=testmode).hugepages(require_even=True, tolerance=12, **args)
    assert tolerant["result"] is True and "even: imbalance 12; tolerance 12" in tolerant["comment"]
    even = state(salt_loader, tuning, test=testmode).hugepages(
        name="2M", count=8192, require_even=True, root=str(root)
    )
    assert even["result"] is True and "WARNING" not in even["comment"]


def test_hugepages_bad_arguments_fail_before_any_write(tmp_path, salt_loader, tuning):
    root = make_root(tmp_path)
    ret = state(salt_loader, tuning).hugepages(name="1G", count=-1, root=str(root))
    assert ret["result"] is False and "count: a whole number" in ret["comment"]
    ret = state(salt_loader, tuning).hugepages(name="16G", count=1, root=str(root))
    assert ret["result"] is False and "the sizes it offers: 2048kB, 1048576kB" in ret["comment"]


# --- host_tuning.ksm ------------------------------------------------------------------------


def test_ksm_off_writable_then_nothing_to_do(tmp_path, salt_loader, tuning):
    root = make_root(tmp_path, ksm=1)
    args = {"name": "ksm", "run": 0, "persisted_by": TMPFILES, "root": str(root)}
    run_file = root / "sys/kernel/mm/ksm/run"
    planned = state(salt_loader, tuning, test=True).ksm(**args)
    assert planned == {
        "name": "ksm",
        "result": None,
        "changes": {"run": {"old": 1, "new": 0}},
        "comment": f"KSM: would set run from 1 to 0 ({run_file})",
    }
    ret = state(salt_loader, tuning).ksm(**args)
    assert ret["result"] is True and ret["changes"] == planned["changes"]
    assert run_file.read_text().strip() == "0"
    for test in (False, True):
        assert state(salt_loader, tuning, test=test).ksm(**args) == {
            "name": "ksm",
            "result": True,
            "changes": {},
            "comment": "KSM: run=0 in the running kernel, as wanted",
        }


def test_ksm_read_only_is_reported_not_failed(tmp_path, salt_loader, tuning, read_only, testmode):
    root = make_root(tmp_path, ksm=1)
    read_only(root)
    ret = state(salt_loader, tuning, test=testmode).ksm(
        name="ksm", run=0, persisted_by=TMPFILES, root=str(root)
    )
    run_file = root / "sys/kernel/mm/ksm/run"
    assert ret == {
        "name": "ksm",
        "result": True,
        "changes": {},
        "comment": (
            "KSM: run=0 wanted, run=1 in the running kernel: not applied to the running kernel: "
            f"{run_file} is on a read-only file system (a container's /sys and /proc/sys are "
            f"read-only); the boot configuration carries it ({TMPFILES}) for the next boot"
        ),
    }
    assert run_file.read_text().strip() == "1"


def test_a_kernel_without_ksm_has_it_off(tmp_path, salt_loader, tuning, testmode):
    root = make_root(tmp_path, ksm=None)
    off = state(salt_loader, tuning, test=testmode).ksm(name="ksm", run=0, root=str(root))
    assert off["result"] is True and off["changes"] == {} and "this kernel has no KSM" in off["comment"]
    on = state(salt_loader, tuning, test=testmode).ksm(name="ksm", run=1, root=str(root))
    assert on["result"] is False and "run=1 wanted, but this kernel has no KSM" in on["comment"]


# --- host_tuning.module_parameters ----------------------------------------------------------


@pytest.mark.parametrize(
    "live,comment",
    [
        ({"ept": "Y"}, "kvm_intel: loaded with ept=Y, as wanted"),
        (
            {"ept": "N"},
            "kvm_intel: loaded with ept=N (wanted Y): not applied to the running kernel: a loaded "
            f"module's parameters cannot change; {MODPROBE} applies them when kvm_intel is loaded again "
            "(with no instance running: modprobe -r kvm_intel && modprobe kvm_intel) or at the next boot",
        ),
        (
            None,
            "kvm_intel: not loaded in the running kernel (a host without it, or a container), so ept=Y "
            f"is not in effect; {MODPROBE} applies it when the module loads",
        ),
    ],
    ids=["as-wanted", "loaded-otherwise", "not-loaded"],
)
def test_kvm_intel_is_reported_never_changed(tmp_path, salt_loader, tuning, testmode, live, comment):
    root = make_root(tmp_path, kvm_intel=live)
    ret = state(salt_loader, tuning, test=testmode).module_parameters(
        name="kvm_intel", parameters={"ept": True}, persisted_by=MODPROBE, root=str(root)
    )
    assert ret == {"name": "kvm_intel", "result": True, "changes": {}, "comment": comment}
    if live:
        assert read(root, "sys/module/kvm_intel/parameters/ept") == live["ept"]


def test_a_missing_tunable_is_not_writable_and_says_so(tmp_path):
    missing = tmp_path / "sys/kernel/mm/ksm/run"
    assert sysfs.unwritable_reason(str(missing)) == f"{missing} does not exist"
    with pytest.raises(CommandExecutionError, match="does not exist") as raised:
        sysfs.write_value(str(missing), 0)
    assert raised.value.kind is None and sysfs.unwritable_cause(raised.value) is None
