"""
The running kernel's hypervisor tunables, applied where the host lets them be (the
``host_tuning`` execution module): the huge page pool of a page size, KSM, and a report of the
parameters a kernel module was loaded with.

.. code-block:: yaml

    nova-tuning-hugepages-applied:
      host_tuning.hugepages:
        - name: 2M
        - count: 1024
        # what carries the value across boots, named in the comment when it cannot be applied now
        - persisted_by: the kernel command line in /etc/default/grub.d/90-stacksalt-nova-tuning.cfg
        - require_even: false          # true: an uneven spread across NUMA nodes fails the state

    nova-tuning-ksm-applied:
      host_tuning.ksm:
        - name: ksm
        - run: 0
        - persisted_by: /etc/tmpfiles.d/stacksalt-nova-ksm.conf

    nova-tuning-kvm-intel-checked:
      host_tuning.module_parameters:
        - name: kvm_intel
        - parameters: {ept: true}
        - persisted_by: /etc/modprobe.d/kvm_intel.conf

Only what differs is written, and ``changes`` holds the old and new value of what was.

What the host does not let be applied is reported, never a failure: a container's ``/sys`` and
``/proc/sys`` are read-only mounts, and the parameters of a loaded kernel module cannot change.
Such a state returns ``result: True``, no changes, and a comment that says what was not applied,
why, and what applies it later (``persisted_by``). It is checked before any write, so a second
run says the same and changes nothing, and ``test=True`` says exactly what the real run does
(``result: None`` and the planned ``changes`` only when the value would be written).

``root`` points the states at another tree standing for ``/`` (the unit tests' temp dir).
"""

import importlib
import os

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "host_tuning"

NODES_DIR = "sys/devices/system/node"


def __virtual__():
    if "host_tuning.hugepages" not in __salt__:
        return (
            False,
            "host_tuning: the host_tuning execution module is not available (it loads on Linux only)",
        )
    return __virtualname__


def _ret(name):
    return {"name": name, "result": True, "changes": {}, "comment": ""}


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _not_applied(what, reason, persisted_by):
    later = (
        f"the boot configuration carries it ({persisted_by}) for the next boot"
        if persisted_by
        else "nothing persists it: it is not applied anywhere"
    )
    return f"{what}: not applied to the running kernel: {reason}; {later}"


def _spread(ret, label, size_kb, tolerance, require_even, root):
    """The spread of ``size_kb`` pages across NUMA nodes, in the comment (numa_memory.spread)."""
    if "numa_memory.spread" not in __salt__:
        note = "spread across NUMA nodes not checked: the numa_memory module is not available"
        if require_even:
            ret["result"] = False
        return note
    try:
        spread = __salt__["numa_memory.spread"](
            size=size_kb, tolerance=tolerance, root=os.path.join(root, NODES_DIR)
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        if require_even:
            ret["result"] = False
        return f"spread across NUMA nodes not checked: {exc}"
    if spread["even"]:
        return f"spread across NUMA nodes: {spread['comment']}"
    if require_even:
        ret["result"] = False
        return f"{label} are unevenly spread across NUMA nodes (require_even): {spread['comment']}"
    return f"WARNING: {label} are unevenly spread across NUMA nodes: {spread['comment']}"


def hugepages(name, count, persisted_by=None, check_spread=True, tolerance=0, require_even=False, root="/"):
    """
    Ensure the running kernel's pool of huge pages of size ``name`` holds ``count`` pages
    (``/sys/kernel/mm/hugepages/hugepages-<size>kB/nr_hugepages``; for the default size this is
    sysctl ``vm.nr_hugepages``), then report how they are spread across NUMA nodes.

    name
        The page size: ``2M``, ``2MB``, ``2048kB``, ``1G``, ``1GB`` (a size the running kernel
        does not offer fails, naming the sizes it has).
    count
        Pages wanted (0 or more). The kernel may allocate fewer when free memory is fragmented
        (1 GB pages, most often): the comment says so, ``changes`` holds what it allocated.
    persisted_by
        What sets the pool at boot (the kernel command line's file), named in the comment when
        the running kernel cannot take the value (a read-only /sys: a container).
    check_spread
        Report the spread across NUMA nodes after applying (``numa_memory.spread``); an uneven
        one warns in the comment.
    tolerance
        Pages by which the nodes may differ and still be even (default 0).
    require_even
        An uneven spread fails the state (default: it warns).

    .. code-block:: yaml

        nova-tuning-hugepages-applied:
          host_tuning.hugepages:
            - name: 2M
            - count: 1024
            - persisted_by: the kernel command line in /etc/default/grub.d/90-stacksalt-nova-tuning.cfg
    """
    ret = _ret(name)
    label = f"{name} huge pages"
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        ret.update(result=False, comment=f"count: a whole number of pages, 0 or more, got {count!r}")
        return ret
    try:
        live = __salt__["host_tuning.hugepages"](size=name, root=root)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret.update(result=False, comment=f"{label}: {exc}")
        return ret
    notes, pending = [], False
    if live["count"] == count:
        notes.append(f"{label}: {count} in the running kernel's pool, as wanted")
    elif not live["writable"]:
        what = f"{label}: {count} wanted, {live['count']} in the running kernel's pool"
        notes.append(_not_applied(what, live["reason"], persisted_by))
    elif __opts__["test"]:
        pending = True
        ret.update(result=None, changes={"nr_hugepages": {"old": live["count"], "new": count}})
        notes.append(
            f"{label}: would set the running kernel's pool from {live['count']} to {count} ({live['path']})"
        )
    else:
        try:
            done = __salt__["host_tuning.set_hugepages"](count, size=name, root=root)
        except CommandExecutionError as exc:
            reason = _util("stacksalt_sysfs.unwritable_cause")(exc)
            if not reason:
                ret.update(result=False, comment=f"{label}: {exc}")
                return ret
            what = f"{label}: {count} wanted, {live['count']} in the running kernel's pool"
            notes.append(_not_applied(what, reason, persisted_by))
        else:
            if done["new"] != done["old"]:
                ret["changes"] = {"nr_hugepages": {"old": done["old"], "new": done["new"]}}
            if done["new"] == count:
                notes.append(
                    f"{label}: set the running kernel's pool from {done['old']} to {count} ({done['path']})"
                )
            else:
                notes.append(
                    f"{label}: asked the running kernel for {count}, it allocated {done['new']} (free memory "
                    "too fragmented for more)"
                    + (
                        f"; the boot configuration allocates them at boot ({persisted_by})"
                        if persisted_by
                        else ""
                    )
                )
    if check_spread:
        if pending:
            notes.append("the spread across NUMA nodes is checked once the pool is set")
        else:
            notes.append(_spread(ret, label, live["size_kb"], tolerance, require_even, root))
    ret["comment"] = "; ".join(notes)
    return ret


def ksm(name, run=0, persisted_by=None, root="/"):
    """
    Ensure kernel samepage merging's ``run`` (``/sys/kernel/mm/ksm/run``) in the running kernel.

    name
        A label (e.g. ``ksm``).
    run
        0: stop ksmd (CERN's hypervisors: KSM off; pages merged before stay merged until they
        are written); 1: run it; 2: stop it and unmerge every page (needs that memory back).
    persisted_by
        What sets it at boot (the tmpfiles.d file), named in the comment when the running
        kernel cannot take the value (a read-only /sys: a container).

    A kernel without KSM (no ``/sys/kernel/mm/ksm``) has it off: ``run: 0`` or ``2`` is then
    met, ``run: 1`` fails.

    .. code-block:: yaml

        nova-tuning-ksm-applied:
          host_tuning.ksm:
            - name: ksm
            - run: 0
            - persisted_by: /etc/tmpfiles.d/stacksalt-nova-ksm.conf
    """
    ret = _ret(name)
    if isinstance(run, bool) or run not in (0, 1, 2):
        ret.update(result=False, comment=f"run: one of 0 (stop), 1 (run), 2 (stop and unmerge), got {run!r}")
        return ret
    try:
        live = __salt__["host_tuning.ksm"](root=root)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret.update(result=False, comment=f"KSM: {exc}")
        return ret
    if live["run"] is None:
        if run == 1:
            ret.update(
                result=False, comment=f"KSM: run=1 wanted, but this kernel has no KSM ({live['reason']})"
            )
        else:
            ret["comment"] = f"KSM: off: this kernel has no KSM ({live['reason']})"
        return ret
    if live["run"] == run:
        ret["comment"] = f"KSM: run={run} in the running kernel, as wanted"
        return ret
    what = f"KSM: run={run} wanted, run={live['run']} in the running kernel"
    if not live["writable"]:
        ret["comment"] = _not_applied(what, live["reason"], persisted_by)
        return ret
    if __opts__["test"]:
        ret.update(
            result=None,
            changes={"run": {"old": live["run"], "new": run}},
            comment=f"KSM: would set run from {live['run']} to {run} ({live['path']})",
        )
        return ret
    try:
        done = __salt__["host_tuning.set_ksm"](run, root=root)
    except CommandExecutionError as exc:
        reason = _util("stacksalt_sysfs.unwritable_cause")(exc)
        ret.update(
            result=reason is not None,
            comment=_not_applied(what, reason, persisted_by) if reason else f"KSM: {exc}",
        )
        return ret
    ret.update(
        changes={"run": {"old": done["old"], "new": done["new"]}},
        comment=f"KSM: set run from {done['old']} to {done['new']} ({done['path']})",
    )
    return ret


def _param_text(value):
    """A wanted parameter as /sys/module shows it: booleans as Y/N."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


def _same(live, wanted):
    truth = {"y": "Y", "1": "Y", "n": "N", "0": "N"}
    if wanted in ("Y", "N"):
        return truth.get(live.lower()) == wanted
    return live == wanted


def module_parameters(name, parameters, persisted_by=None, root="/"):
    """
    Report whether kernel module ``name`` runs with ``parameters``. A loaded module's
    parameters cannot change (``/sys/module/<name>/parameters`` is read-only), and reloading
    kvm_intel needs every instance stopped: this state never changes anything, it says what
    differs and when the modprobe.d options (``persisted_by``) take effect. Always
    ``result: True``.

    name
        The kernel module (``kvm_intel``).
    parameters
        ``{parameter: value}`` as in modprobe.d (booleans are compared with the kernel's Y/N).

    .. code-block:: yaml

        nova-tuning-kvm-intel-checked:
          host_tuning.module_parameters:
            - name: kvm_intel
            - parameters: {ept: true}
            - persisted_by: /etc/modprobe.d/kvm_intel.conf
    """
    ret = _ret(name)
    if not isinstance(parameters, dict) or not parameters:
        ret.update(
            result=False, comment="parameters: a mapping of parameter names to values, e.g. {ept: true}"
        )
        return ret
    try:
        live = __salt__["host_tuning.module_parameters"](name, root=root)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret.update(result=False, comment=f"{name}: {exc}")
        return ret
    wanted = ", ".join(f"{key}={_param_text(value)}" for key, value in sorted(parameters.items()))
    source = persisted_by or "its modprobe.d options"
    if not live["loaded"]:
        ret["comment"] = (
            f"{name}: not loaded in the running kernel (a host without it, or a container), so {wanted} "
            f"is not in effect; {source} applies it when the module loads"
        )
        return ret
    differ = []
    for key, value in sorted(parameters.items()):
        text = _param_text(value)
        if key not in live["parameters"]:
            differ.append(f"{key}: not a parameter the loaded {name} shows")
        elif not _same(live["parameters"][key], text):
            differ.append(f"{key}={live['parameters'][key]} (wanted {text})")
    if not differ:
        ret["comment"] = f"{name}: loaded with {wanted}, as wanted"
        return ret
    ret["comment"] = (
        f"{name}: loaded with {', '.join(differ)}: not applied to the running kernel: a loaded module's "
        f"parameters cannot change; {source} applies them when {name} is loaded again (with no instance "
        f"running: modprobe -r {name} && modprobe {name}) or at the next boot"
    )
    return ret
