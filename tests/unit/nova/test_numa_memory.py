"""numa_memory: per-NUMA-node memory read from sysfs, and the huge page spread across nodes
(CERN's finding: 1 GB pages unevenly spread). Recorded trees in data/numa (see its README),
small trees built from them in tmp_path, and this machine's own /sys."""

import pathlib
import re
import shutil

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

pytestmark = pytest.mark.unit

DATA = pathlib.Path(__file__).resolve().parent / "data" / "numa"
CERN = str(DATA / "cern-uneven-1g")
EVEN = str(DATA / "even")
SYS = pathlib.Path("/sys/devices/system/node")


@pytest.fixture
def numa(salt_loader):
    return salt_loader.module("numa_memory", grains={"kernel": "Linux"})


def copy_node(src_root, src, dst_root, dst):
    """node<src> of a recorded tree as node<dst> of another, its meminfo lines renumbered."""
    target = pathlib.Path(dst_root) / f"node{dst}"
    shutil.copytree(pathlib.Path(src_root) / f"node{src}", target)
    meminfo = target / "meminfo"
    meminfo.write_text(meminfo.read_text().replace(f"Node {src} ", f"Node {dst} "))
    return target


def test_virtual_loads_on_linux_only(salt_loader):
    assert salt_loader.module("numa_memory", grains={"kernel": "Linux"}).__virtual__() == "numa_memory"
    loaded, reason = salt_loader.module("numa_memory", grains={"kernel": "FreeBSD"}).__virtual__()
    assert loaded is False
    assert "Linux" in reason and "FreeBSD" in reason and "/sys/devices/system/node" in reason


def test_nodes_of_the_cern_tree(numa):
    assert numa.nodes(CERN) == {
        0: {
            "mem_total_kb": 65843196,
            "mem_free_kb": 37461892,
            "hugepages": {
                "2048kB": {"total": 4096, "free": 4096, "surplus": 0},
                "1048576kB": {"total": 16, "free": 16, "surplus": 0},
            },
        },
        1: {
            "mem_total_kb": 66028544,
            "mem_free_kb": 50575520,
            "hugepages": {
                "2048kB": {"total": 4096, "free": 4000, "surplus": 0},
                "1048576kB": {"total": 4, "free": 2, "surplus": 0},
            },
        },
    }


def test_spread_of_the_cern_tree_finds_the_1g_pages_uneven(numa):
    got = numa.spread(root=CERN)
    assert got["nodes"] == 2
    assert got["even"] is False
    assert got["sizes"]["2048kB"] == {
        "total": {0: 4096, 1: 4096},
        "free": {0: 4096, 1: 4000},
        "even": True,
        "imbalance": 0,
        "comment": "2048kB pages: node0 has 4096, node1 has 4096 (even: imbalance 0; tolerance 0)",
    }
    assert got["sizes"]["1048576kB"] == {
        "total": {0: 16, 1: 4},
        "free": {0: 16, 1: 2},
        "even": False,
        "imbalance": 12,
        "comment": "1048576kB pages: node0 has 16, node1 has 4 (uneven by 12; tolerance 0)",
    }
    assert list(got["sizes"]) == ["2048kB", "1048576kB"]


@pytest.mark.parametrize("size", ["1G", "1GB", "1g", "1gb", "1024M", "1048576kB", "1048576KB"])
def test_spread_of_one_size_in_any_form(numa, size):
    got = numa.spread(size=size, root=CERN)
    assert list(got["sizes"]) == ["1048576kB"]
    assert got["even"] is False
    assert got["sizes"]["1048576kB"]["imbalance"] == 12


@pytest.mark.parametrize("size", ["2M", "2MB", "2048kB", "2048", 2048])
def test_the_even_2m_size_alone_is_even(numa, size):
    got = numa.spread(size=size, root=CERN)
    assert list(got["sizes"]) == ["2048kB"]
    assert got["even"] is True
    assert numa.check(size=size, root=CERN) is True


def test_tolerance_decides_whether_an_imbalance_counts(numa):
    assert numa.spread(size="1G", tolerance=11, root=CERN)["even"] is False
    within = numa.spread(size="1G", tolerance=12, root=CERN)
    assert within["even"] is True
    assert within["sizes"]["1048576kB"]["comment"] == (
        "1048576kB pages: node0 has 16, node1 has 4 (even: imbalance 12; tolerance 12)"
    )


def test_the_even_tree_is_even_everywhere(numa):
    got = numa.spread(root=EVEN)
    assert got["nodes"] == 2
    assert got["even"] is True
    assert {label: entry["even"] for label, entry in got["sizes"].items()} == {
        "2048kB": True,
        "1048576kB": True,
    }
    assert got["sizes"]["1048576kB"]["total"] == {0: 8, 1: 8}
    assert got["sizes"]["1048576kB"]["free"] == {0: 8, 1: 6}
    assert numa.check(root=EVEN) is True


def test_check_raises_with_the_uneven_comment(numa):
    with pytest.raises(CommandExecutionError) as err:
        numa.check(root=CERN)
    message = str(err.value)
    assert "1048576kB pages: node0 has 16, node1 has 4 (uneven by 12; tolerance 0)" in message
    assert "2048kB" not in message  # only the uneven size


def test_a_size_with_no_pages_anywhere_is_even(numa, tmp_path):
    for node in (0, 1):
        target = copy_node(CERN, node, tmp_path, node)
        (target / "hugepages" / "hugepages-1048576kB" / "nr_hugepages").write_text("0\n")
    got = numa.spread(size="1G", root=str(tmp_path))
    assert got["even"] is True
    assert (
        got["sizes"]["1048576kB"]["comment"]
        == "1048576kB pages: node0 has 0, node1 has 0 (none on any node: even)"
    )


def test_a_single_node_host_is_always_even_and_says_so(numa, tmp_path):
    copy_node(CERN, 0, tmp_path, 0)
    got = numa.spread(root=str(tmp_path))
    assert got["nodes"] == 1
    assert got["even"] is True
    assert got["comment"].startswith("a single NUMA node: huge pages are always evenly spread.")
    assert (
        got["sizes"]["1048576kB"]["comment"]
        == "1048576kB pages: node0 has 16 (a single NUMA node: always even)"
    )
    assert numa.check(root=str(tmp_path)) is True


def test_nodes_are_in_numeric_order(numa, tmp_path):
    for node in (10, 2, 1, 0):
        copy_node(EVEN, 0, tmp_path, node)
    (tmp_path / "node10" / "hugepages" / "hugepages-1048576kB" / "nr_hugepages").write_text("3\n")
    (tmp_path / "nodes").mkdir()  # not node<N>: ignored
    (tmp_path / "online").write_text("0-2,10\n")
    assert list(numa.nodes(str(tmp_path))) == [0, 1, 2, 10]
    got = numa.spread(size="1G", root=str(tmp_path))
    assert list(got["sizes"]["1048576kB"]["total"]) == [0, 1, 2, 10]
    assert got["sizes"]["1048576kB"]["comment"] == (
        "1048576kB pages: node0 has 8, node1 has 8, node2 has 8, node10 has 3 (uneven by 5; tolerance 0)"
    )


@pytest.mark.parametrize("size", ["2X", "two", "M", "0M", "-2M", "2.5M", "", True, 1.5, ["2M"]])
def test_a_bad_size_names_size(numa, size):
    with pytest.raises(SaltInvocationError, match=r"^size: "):
        numa.spread(size=size, root=CERN)
    with pytest.raises(SaltInvocationError, match=r"^size: "):
        numa.check(size=size, root=CERN)


def test_a_size_the_host_does_not_offer_names_size_and_the_sizes_it_has(numa):
    with pytest.raises(CommandExecutionError, match=r"^size: this host has no 16777216kB") as err:
        numa.spread(size="16G", root=CERN)
    assert "2048kB, 1048576kB" in str(err.value)


@pytest.mark.parametrize("tolerance", [-1, "2", 1.0, None, True])
def test_a_bad_tolerance_names_tolerance(numa, tolerance):
    with pytest.raises(SaltInvocationError, match=r"^tolerance: "):
        numa.spread(tolerance=tolerance, root=CERN)


def test_a_missing_root_is_named(numa, tmp_path):
    missing = tmp_path / "no-such-dir"
    with pytest.raises(CommandExecutionError, match=re.escape(f"{missing}: no such directory")):
        numa.nodes(str(missing))


def test_a_root_without_node_directories_is_named(numa, tmp_path):
    (tmp_path / "online").write_text("0\n")
    (tmp_path / "node0").write_text("a file, not a node directory\n")
    with pytest.raises(CommandExecutionError, match=re.escape(f"{tmp_path}: no node<N> directories")):
        numa.spread(root=str(tmp_path))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Node 0 MemTotal:       65843196 kB\nNode 0 MemFree: lots\n", "line 2 is not"),
        ("garbage\n", "line 1 is not"),
        (
            "Node 1 MemTotal:       65843196 kB\nNode 1 MemFree:        37315428 kB\n",
            "about node 1, not node 0",
        ),
        ("Node 0 MemTotal:       65843196 kB\n", "no MemFree line"),
        ("Node 0 MemTotal: 1 kB\nNode 0 MemFree: 1 kB\nNode 0 MemFree: 1 kB\n", "line 3 repeats MemFree"),
    ],
)
def test_a_garbled_meminfo_is_named(numa, tmp_path, text, why):
    target = copy_node(CERN, 0, tmp_path, 0)
    copy_node(CERN, 1, tmp_path, 1)
    (target / "meminfo").write_text(text)
    with pytest.raises(CommandExecutionError) as err:
        numa.nodes(str(tmp_path))
    assert str(err.value).startswith(f"{target / 'meminfo'}: ")
    assert why in str(err.value)


def test_a_garbled_page_count_is_named(numa, tmp_path):
    copy_node(CERN, 0, tmp_path, 0)
    target = copy_node(CERN, 1, tmp_path, 1)
    count = target / "hugepages" / "hugepages-2048kB" / "free_hugepages"
    count.write_text("many\n")
    with pytest.raises(CommandExecutionError, match=re.escape(f"{count}: expected a page count")):
        numa.spread(root=str(tmp_path))


def test_an_unreadable_file_is_named(numa, tmp_path):
    # a directory where the file should be: unreadable even for root (chmod 000 is not)
    target = copy_node(CERN, 0, tmp_path, 0)
    (target / "meminfo").unlink()
    (target / "meminfo").mkdir()
    with pytest.raises(CommandExecutionError, match=re.escape(f"{target / 'meminfo'}: cannot read it")):
        numa.nodes(str(tmp_path))
    (target / "meminfo").rmdir()
    with pytest.raises(CommandExecutionError, match=re.escape(f"{target / 'meminfo'}: cannot read it")):
        numa.nodes(str(tmp_path))


def read_sys_node(path):
    """This machine's node<N>, read without the module: meminfo split on whitespace, counts as ints."""
    fields = {}
    for line in (path / "meminfo").read_text().splitlines():
        words = line.split()
        fields[words[2].rstrip(":")] = int(words[3])
    pages = {}
    for size_dir in sorted((path / "hugepages").glob("hugepages-*")):
        read = lambda name, d=size_dir: int((d / name).read_text())  # noqa: E731
        pages[size_dir.name.removeprefix("hugepages-")] = {
            "total": read("nr_hugepages"),
            "free": read("free_hugepages"),
            "surplus": read("surplus_hugepages"),
        }
    return fields, pages


def test_this_machines_sys(numa):
    dirs = sorted(int(p.name[4:]) for p in SYS.glob("node*") if p.is_dir() and p.name[4:].isdigit())
    got = numa.nodes()
    assert list(got) == dirs
    assert len(dirs) >= 1
    for node in dirs:
        fields, pages = read_sys_node(SYS / f"node{node}")
        assert got[node]["mem_total_kb"] == fields["MemTotal"]
        # free memory moves between two reads: only its range is stable
        assert 0 < got[node]["mem_free_kb"] <= got[node]["mem_total_kb"]
        assert got[node]["hugepages"] == pages
        assert pages, "a Linux node lists its huge page sizes"
    spread = numa.spread()
    assert spread["nodes"] == len(dirs)
    assert set(spread["sizes"]) == {label for node in got.values() for label in node["hugepages"]}
    for label, entry in spread["sizes"].items():
        assert entry["total"] == {node: got[node]["hugepages"][label]["total"] for node in dirs}
    if len(dirs) == 1:
        assert spread["even"] is True
        assert spread["comment"].startswith("a single NUMA node")
        assert numa.check() is True
