"""
Per-NUMA-node memory of a Linux host, and whether its huge pages are evenly spread across the
nodes (CERN found 1 GB pages unevenly spread on their hypervisors and chose 2 MB pages).

Reads only sysfs (``/sys/devices/system/node/node<N>/meminfo`` and
``node<N>/hugepages/hugepages-<size>kB/``): no subprocess, no pillar, so it works the same under
a minion and under salt-ssh. ``root`` points it at another tree (a recorded one in the tests).

Node numbers are ints, in numeric order; over JSON outputs (``--out json``, salt-ssh) the keys
become strings.
"""

import os
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "numa_memory"

ROOT = "/sys/devices/system/node"
_NODE_DIR = re.compile(r"node(\d+)")
_SIZE_DIR = re.compile(r"hugepages-(\d+)kB")
# "Node 0 MemTotal:       32768000 kB", "Node 0 HugePages_Total:   512"
_MEMINFO_LINE = re.compile(r"Node (\d+) ([^:\s]+):\s+(\d+)(?: kB)?")
_SIZE_ARG = re.compile(r"(\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?", re.IGNORECASE)
_UNIT_KB = {"k": 1, "m": 1024, "g": 1024 * 1024}
_COUNTERS = {"total": "nr_hugepages", "free": "free_hugepages", "surplus": "surplus_hugepages"}


def __virtual__():
    kernel = __grains__.get("kernel")
    if kernel != "Linux":
        return (
            False,
            f"numa_memory: reads Linux's {ROOT} (sysfs); this host's kernel is {kernel or 'unknown'}",
        )
    return __virtualname__


def _read(path):
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CommandExecutionError(f"{path}: cannot read it: {reason}") from exc


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError as exc:
        raise CommandExecutionError(f"{path}: cannot list it: {exc.strerror}") from exc


def _count(path):
    text = _read(path).strip()
    if not text.isdigit():
        raise CommandExecutionError(f"{path}: expected a page count, found {text[:40]!r}")
    return int(text)


def _meminfo(path, node):
    """{key: int} of one node's meminfo; every line must be the kernel's ``Node <N> <Key>: <n>``."""
    values = {}
    for number, line in enumerate(_read(path).splitlines(), 1):
        if not line.strip():
            continue
        match = _MEMINFO_LINE.fullmatch(line.strip())
        if not match:
            raise CommandExecutionError(
                f"{path}: line {number} is not 'Node <N> <Key>: <value>': {line[:80]!r}"
            )
        if int(match[1]) != node:
            raise CommandExecutionError(f"{path}: line {number} is about node {match[1]}, not node {node}")
        if match[2] in values:
            raise CommandExecutionError(f"{path}: line {number} repeats {match[2]}")
        values[match[2]] = int(match[3])
    missing = [key for key in ("MemTotal", "MemFree") if key not in values]
    if missing:
        raise CommandExecutionError(f"{path}: no {' or '.join(missing)} line")
    return values


def _hugepages(path):
    """{"2048kB": {total, free, surplus}, ...} from ``node<N>/hugepages`` (absent: no hugetlb)."""
    if not os.path.exists(path):
        return {}
    sizes = {}
    for entry in _listdir(path):
        match = _SIZE_DIR.fullmatch(entry)
        if not match:
            continue
        size_dir = os.path.join(path, entry)
        sizes[int(match[1])] = {key: _count(os.path.join(size_dir, name)) for key, name in _COUNTERS.items()}
    return {f"{kb}kB": sizes[kb] for kb in sorted(sizes)}


def nodes(root=ROOT):
    """
    The memory of each NUMA node, keyed by node number in numeric order:
    ``{0: {"mem_total_kb", "mem_free_kb", "hugepages": {"2048kB": {"total", "free", "surplus"},
    "1048576kB": {...}}}, ...}``.

    The huge page counts come from ``node<N>/hugepages/hugepages-<size>kB/`` for every size the
    kernel offers (meminfo's ``HugePages_*`` lines count only the default size).

    CLI Example:

    .. code-block:: bash

        salt compute1 numa_memory.nodes
    """
    if not os.path.isdir(root):
        raise CommandExecutionError(f"{root}: no such directory (NUMA nodes are listed in {ROOT})")
    numbers = sorted(
        int(match[1])
        for match in map(_NODE_DIR.fullmatch, _listdir(root))
        if match and os.path.isdir(os.path.join(root, match[0]))
    )
    if not numbers:
        raise CommandExecutionError(f"{root}: no node<N> directories in it")
    out = {}
    for node in numbers:
        node_dir = os.path.join(root, f"node{node}")
        info = _meminfo(os.path.join(node_dir, "meminfo"), node)
        out[node] = {
            "mem_total_kb": info["MemTotal"],
            "mem_free_kb": info["MemFree"],
            "hugepages": _hugepages(os.path.join(node_dir, "hugepages")),
        }
    return out


def _size_kb(size):
    """``2M``, ``2MB``, ``2048kB``, ``1G``, ``1GB`` (or a bare number of kB, as Nova reads it) -> kB."""
    if isinstance(size, int) and not isinstance(size, bool):
        text = str(size)
    elif isinstance(size, str):
        text = size.strip()
    else:
        raise SaltInvocationError(f"size: a page size such as 2M, 2MB, 2048kB, 1G or 1GB, got {size!r}")
    match = _SIZE_ARG.fullmatch(text)
    if not match or int(match[1]) == 0:
        raise SaltInvocationError(f"size: a page size such as 2M, 2MB, 2048kB, 1G or 1GB, got {size!r}")
    unit = (match[2] or "k")[0].lower()
    return int(match[1]) * _UNIT_KB[unit]


def _tolerance(tolerance):
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
        raise SaltInvocationError(f"tolerance: a whole number of pages, 0 or more, got {tolerance!r}")
    return tolerance


def _spread_of(label, per_node, tolerance):
    totals = {node: pages.get("total", 0) for node, pages in per_node.items()}
    frees = {node: pages.get("free", 0) for node, pages in per_node.items()}
    counts = ", ".join(f"node{node} has {total}" for node, total in totals.items())
    imbalance = max(totals.values()) - min(totals.values())
    if len(totals) == 1:
        even, why = True, "a single NUMA node: always even"
    elif not any(totals.values()):
        even, why = True, "none on any node: even"
    elif imbalance <= tolerance:
        even, why = True, f"even: imbalance {imbalance}; tolerance {tolerance}"
    else:
        even, why = False, f"uneven by {imbalance}; tolerance {tolerance}"
    return {
        "total": totals,
        "free": frees,
        "even": even,
        "imbalance": imbalance,
        "comment": f"{label} pages: {counts} ({why})",
    }


def spread(size=None, tolerance=0, root=ROOT):
    """
    How each huge page size is spread across the NUMA nodes. For each size (or only ``size``:
    ``2M``, ``2MB``, ``2048kB``, ``1G``, ``1GB``, or a bare number of kB): the per-node ``total``
    and ``free`` pages, ``imbalance`` (the most pages on a node minus the fewest), ``even``
    (imbalance at most ``tolerance`` pages; a size with no pages anywhere is even, and so is
    every size of a single-node host) and a ``comment``. The top-level ``even`` covers every
    size, ``nodes`` is the number of NUMA nodes.

    CLI Example:

    .. code-block:: bash

        salt compute1 numa_memory.spread
        salt compute1 numa_memory.spread size=1G
        salt compute1 numa_memory.spread size=2M tolerance=8
    """
    wanted = None if size is None else _size_kb(size)
    tolerance = _tolerance(tolerance)
    host = nodes(root)
    labels = sorted(
        {label for node in host.values() for label in node["hugepages"]}, key=lambda s: int(s[:-2])
    )
    if wanted is not None:
        label = f"{wanted}kB"
        if label not in labels:
            offered = ", ".join(labels) or "none"
            raise CommandExecutionError(
                f"size: this host has no {label} huge pages ({size!r}); the sizes it offers: {offered}"
            )
        labels = [label]
    sizes = {
        label: _spread_of(
            label, {node: info["hugepages"].get(label, {}) for node, info in host.items()}, tolerance
        )
        for label in labels
    }
    even = all(entry["even"] for entry in sizes.values())
    if not sizes:
        comment = "no huge page sizes on this host: nothing to spread"
    else:
        comment = "; ".join(entry["comment"] for entry in sizes.values())
    if len(host) == 1:
        comment = f"a single NUMA node: huge pages are always evenly spread. {comment}"
    return {"nodes": len(host), "even": even, "sizes": sizes, "comment": comment}


def check(size=None, tolerance=0, root=ROOT):
    """
    True when the huge pages are evenly spread across the NUMA nodes (see ``spread``); when
    they are not, raise an error with the uneven sizes' comments, so the command fails.

    CLI Example:

    .. code-block:: bash

        salt compute1 numa_memory.check
        salt compute1 numa_memory.check size=1G tolerance=2
    """
    result = spread(size=size, tolerance=tolerance, root=root)
    if result["even"]:
        return True
    uneven = [entry["comment"] for entry in result["sizes"].values() if not entry["even"]]
    raise CommandExecutionError("huge pages unevenly spread across NUMA nodes: " + "; ".join(uneven))
