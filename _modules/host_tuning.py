"""
The running kernel's hypervisor tunables that CERN set on their compute hosts: the huge page
pool of a page size, KSM, and the parameters a kernel module (kvm_intel) was loaded with. Reads
and writes files only (``/sys/kernel/mm/hugepages/hugepages-<size>kB/nr_hugepages``,
``/sys/kernel/mm/ksm/run``, ``/sys/module/<module>/parameters/``, ``/proc/meminfo``): no
subprocess, no pillar, so it works the same under a minion and under salt-ssh.

What persists these across boots is the nova formula's business (the kernel command line,
tmpfiles.d, modprobe.d); this module only reads and changes the running kernel. The pool of
the default page size is the same counter as sysctl ``vm.nr_hugepages``: writing the per-size
file covers every size, the default one included.

In a container ``/sys`` and ``/proc/sys`` are read-only mounts: each function says so
(``writable``, ``reason``), and a write raises an error whose ``kind`` is ``read-only``
(``_utils/stacksalt_sysfs.py``), which ``host_tuning`` states report without failing.

``root`` points every function at another tree standing for ``/`` (the unit tests' temp dir).
"""

import importlib
import os
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "host_tuning"

ROOT = "/"
HUGEPAGES_DIR = "sys/kernel/mm/hugepages"
KSM_RUN = "sys/kernel/mm/ksm/run"
MODULES_DIR = "sys/module"
MEMINFO = "proc/meminfo"
_SIZE_DIR = re.compile(r"hugepages-(\d+)kB")
_MODULE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
#: /sys/kernel/mm/ksm/run: 0 stops ksmd (merged pages stay merged), 1 runs it, 2 stops it and
#: unmerges every page
KSM_RUN_VALUES = (0, 1, 2)


def __virtual__():
    kernel = __grains__.get("kernel")
    if kernel != "Linux":
        return (
            False,
            f"host_tuning: changes Linux's /sys/kernel/mm tunables; this host's kernel is {kernel or 'unknown'}",
        )
    return __virtualname__


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _count(value, arg):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SaltInvocationError(f"{arg}: a whole number, 0 or more, got {value!r}")
    return value


def _offered(root):
    """The huge page sizes (kB, ascending) the running kernel offers."""
    base = os.path.join(root, HUGEPAGES_DIR)
    if not os.path.isdir(base):
        raise CommandExecutionError(
            f"{base}: no such directory: this kernel has no huge pages (CONFIG_HUGETLBFS)"
        )
    try:
        entries = os.listdir(base)
    except OSError as exc:
        raise CommandExecutionError(f"{base}: cannot list it: {exc.strerror}") from exc
    return sorted(int(m[1]) for m in map(_SIZE_DIR.fullmatch, entries) if m)


def _default_kb(root):
    """The running kernel's default huge page size (``Hugepagesize`` of /proc/meminfo), or None."""
    path = os.path.join(root, MEMINFO)
    try:
        with open(path, encoding="ascii") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key == "Hugepagesize":
                    return int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _nr_path(size, root):
    kb = _util("stacksalt_sysfs.size_kb")(size)
    offered = _offered(root)
    if kb not in offered:
        sizes = ", ".join(f"{s}kB" for s in offered) or "none"
        raise CommandExecutionError(
            f"size: the running kernel offers no {kb}kB huge pages ({size!r}); the sizes it offers: {sizes}"
        )
    return kb, os.path.join(root, HUGEPAGES_DIR, f"hugepages-{kb}kB", "nr_hugepages")


def hugepages(size="2M", root=ROOT):
    """
    The running kernel's pool of huge pages of ``size`` (``2M``, ``2MB``, ``2048kB``, ``1G``,
    ``1GB``, or a bare number of kB): ``size_kb``, ``kernel_size`` (the kernel command line's
    spelling), ``path`` (its ``nr_hugepages`` file), ``count`` (pages in the pool),
    ``default_kb`` (the running kernel's default page size, None when unknown), ``offered_kb``
    (every size the kernel offers), ``writable`` and, when not, ``reason`` (a container's
    read-only /sys). A size the kernel does not offer fails with the sizes it has.

    CLI Example:

    .. code-block:: bash

        salt compute1 host_tuning.hugepages
        salt compute1 host_tuning.hugepages size=1G
    """
    kb, path = _nr_path(size, root)
    reason = _util("stacksalt_sysfs.unwritable_reason")(path)
    return {
        "size_kb": kb,
        "kernel_size": _util("stacksalt_sysfs.kernel_size")(kb),
        "path": path,
        "count": _util("stacksalt_sysfs.read_int")(path),
        "default_kb": _default_kb(root),
        "offered_kb": _offered(root),
        "writable": reason is None,
        "reason": reason,
    }


def set_hugepages(count, size="2M", root=ROOT):
    """
    Ask the running kernel for ``count`` huge pages of ``size`` (its ``nr_hugepages``), then
    read back what it allocated: ``{"path", "old", "new", "wanted"}``. ``new`` may be below
    ``wanted`` when free memory is too fragmented (1 GB pages, most often); the kernel command
    line allocates them at boot instead. A read-only /sys (a container) or a user without the
    right raises an error of kind ``read-only``/``permission``.

    CLI Example:

    .. code-block:: bash

        salt compute1 host_tuning.set_hugepages 1024 size=2M
    """
    count = _count(count, "count")
    _, path = _nr_path(size, root)
    old = _util("stacksalt_sysfs.read_int")(path)
    _util("stacksalt_sysfs.write_value")(path, count)
    return {"path": path, "old": old, "new": _util("stacksalt_sysfs.read_int")(path), "wanted": count}


def ksm(root=ROOT):
    """
    Kernel samepage merging: ``path`` (``/sys/kernel/mm/ksm/run``), ``run`` (0 stopped, 1
    running, 2 stopped and unmerged; None when the kernel has no KSM), ``writable`` and, when
    not, ``reason``.

    CLI Example:

    .. code-block:: bash

        salt compute1 host_tuning.ksm
    """
    path = os.path.join(root, KSM_RUN)
    if not os.path.exists(path):
        return {"path": path, "run": None, "writable": False, "reason": f"{path} does not exist (no KSM)"}
    reason = _util("stacksalt_sysfs.unwritable_reason")(path)
    return {
        "path": path,
        "run": _util("stacksalt_sysfs.read_int")(path),
        "writable": reason is None,
        "reason": reason,
    }


def set_ksm(run=0, root=ROOT):
    """
    Set KSM's ``run`` (0: stop ksmd, merged pages stay merged; 1: run it; 2: stop it and unmerge
    every page, which needs the memory back): ``{"path", "old", "new"}``. A read-only /sys
    raises an error of kind ``read-only``.

    CLI Example:

    .. code-block:: bash

        salt compute1 host_tuning.set_ksm 0
    """
    if isinstance(run, bool) or run not in KSM_RUN_VALUES:
        raise SaltInvocationError(f"run: one of 0 (stop), 1 (run), 2 (stop and unmerge), got {run!r}")
    path = os.path.join(root, KSM_RUN)
    if not os.path.exists(path):
        raise CommandExecutionError(f"{path} does not exist: this kernel has no KSM (CONFIG_KSM)")
    old = _util("stacksalt_sysfs.read_int")(path)
    _util("stacksalt_sysfs.write_value")(path, run)
    return {"path": path, "old": old, "new": _util("stacksalt_sysfs.read_int")(path)}


def module_parameters(module, root=ROOT):
    """
    The parameters kernel module ``module`` is loaded with (``/sys/module/<module>/parameters``,
    as the kernel shows them: ``Y``/``N`` for booleans): ``{"loaded": True, "parameters":
    {"ept": "Y", ...}}``, or ``{"loaded": False, "parameters": {}}``. They are read-only while
    the module is loaded: a new value in modprobe.d takes effect when it is loaded again.

    CLI Example:

    .. code-block:: bash

        salt compute1 host_tuning.module_parameters kvm_intel
    """
    if not isinstance(module, str) or not _MODULE_NAME.fullmatch(module):
        raise SaltInvocationError(f"module: a kernel module name such as kvm_intel, got {module!r}")
    base = os.path.join(root, MODULES_DIR, module)
    params_dir = os.path.join(base, "parameters")
    if not os.path.isdir(base):
        return {"loaded": False, "parameters": {}}
    params = {}
    if os.path.isdir(params_dir):
        for name in sorted(os.listdir(params_dir)):
            path = os.path.join(params_dir, name)
            if os.path.isfile(path) and os.access(path, os.R_OK):
                try:
                    params[name] = _util("stacksalt_sysfs.read_value")(path)
                except CommandExecutionError:
                    continue  # a write-only or unreadable parameter
    return {"loaded": True, "parameters": params}
