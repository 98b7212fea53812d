"""
Golden maps (template-formula's `_mapdata` idea): for each shipped host id (pillar/hosts/*.sls)
and each formula that host gets, the formula's merged map (`settings` from
`salt/<formula>/map.jinja`) rendered by Salt with the shipped pillar of that id, compared with
`golden/<formula>/<host>.yaml`. A change to any layer (parameters/defaults.yaml, an os_family
file, pillar, salt/lib/map.jinja, a formula's derived values) shows here as a diff of the merged
values, so it is made on purpose or not at all.

Which formulas a host gets: the states the real top file gives its id (`state.show_top`), by
formula, plus `openstack` on the `cloud-admin` role's host (the formula is not in top.sls: it is
applied by hand on a site with Nova, docs/openstack.md).

Rendering: one masterless Salt process per host id (tests/unit/pillar/masterless.py run with a
config for that id over the shipped pillar root), with grains that make the map the same on
any machine: `host` is the id, `os_family`/`os` Debian (the lab's hosts). The minion's config
directory is the scratch directory of the run: goldens write it as `@CONFIG_DIR@`.

Secrets: the goldens hold no secret. A map is masked with the project's one rule
(_utils/stacksalt_secrets.py `mask`) before it is compared or written, and every value under a
secret key of the host's pillar is checked to be absent from the golden text.

Regenerate the goldens after a change meant to change a map (then review `git diff`):

    STACKSALT_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/unit/mapdata
"""

import difflib
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

from tests.support.loader import load_file

REPO = pathlib.Path(__file__).resolve().parents[3]
GOLDEN = pathlib.Path(__file__).resolve().parent / "golden"
HOSTS = sorted(p.stem for p in (REPO / "pillar" / "hosts").glob("*.sls"))
FORMULAS = ("ceph", "host", "ironic", "mariadb", "nova", "openstack", "salt")
# Formulas a role gets outside top.sls (see the module docstring).
BY_HAND = {"cloud-admin": ("openstack",)}
GRAINS = {"os_family": "Debian", "os": "Debian"}
CONFIG_DIR = "@CONFIG_DIR@"
UPDATE = os.environ.get("STACKSALT_UPDATE_GOLDEN") == "1"


masterless = load_file(REPO / "tests/unit/pillar/masterless.py", "masterless_mapdata")
secrets_util = load_file(REPO / "_utils/stacksalt_secrets.py", "stacksalt_secrets_mapdata")


def render_string(formula):
    """A template that renders `formula`'s merged map as JSON, as a formula's SLS imports it."""
    return (
        f"{{%- set tpldir = '{formula}' %}}"
        f"{{%- from '{formula}/map.jinja' import settings with context %}}"
        "{{ settings | json }}"
    )


def run_host(workdir, minion_id, calls, extra=None):
    """`calls` in one masterless Salt process whose id is `minion_id`, over the shipped pillar."""
    workdir = pathlib.Path(workdir)
    config_dir = workdir / "etc" / "salt"
    config_dir.mkdir(parents=True, exist_ok=True)
    # The top file from a view holding only it (as the master's second file root does).
    view = workdir / "served"
    view.mkdir(exist_ok=True)
    (view / "top.sls").symlink_to(REPO / "top.sls")
    config = json.loads(masterless.minion_config(workdir).read_text())
    config.update(
        {
            "id": minion_id,
            "file_roots": {"base": [str(REPO / "salt"), str(view)]},
            "pillar_roots": {"base": [str(REPO / "pillar")]},
            "grains": {"host": minion_id, **GRAINS},
            **(extra or {}),
        }
    )
    path = config_dir / "minion"
    path.write_text(json.dumps(config))
    proc = subprocess.run(  # noqa: S603 - fixed argument list
        [sys.executable, masterless.__file__, str(path)],
        input=json.dumps(calls),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(proc.stdout)
    for call, result in zip(calls, results, strict=True):
        assert result["ok"], (minion_id, call[0], result.get("error"))
    return [r["ret"] for r in results], str(config_dir)


def render_maps(workdir, minion_id, formulas=FORMULAS, extra=None):
    """{formula: merged map} for `minion_id`, masked, plus what the host gets and its pillar."""
    calls = [["state.show_top", [], {}], ["pillar.items", [], {"unmask": True}]]
    calls += [
        ["slsutil.renderer", [], {"string": render_string(f), "default_renderer": "jinja"}] for f in formulas
    ]
    (top, pillar, *maps), config_dir = run_host(workdir, minion_id, calls, extra)
    gets = {state.split(".")[0] for state in top.get("base", [])}
    for role in pillar.get("roles", []):
        gets.update(BY_HAND.get(role, ()))
    rendered = {}
    for formula, text in zip(formulas, maps, strict=True):
        text = text.replace(config_dir, CONFIG_DIR)
        rendered[formula] = secrets_util.mask(json.loads(text))
    return rendered, gets, pillar


def secret_values(data):
    """Every non-empty scalar under a secret key of `data` (the project's one rule)."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if secrets_util.is_secret_key(key) and value not in (None, ""):
                found.extend(_scalars(value))
            else:
                found.extend(secret_values(value))
    elif isinstance(data, list):
        for value in data:
            found.extend(secret_values(value))
    return found


def _scalars(value):
    if isinstance(value, dict):
        return [s for v in value.values() for s in _scalars(v)]
    if isinstance(value, list):
        return [s for v in value for s in _scalars(v)]
    return [str(value)] if value not in (None, "") else []


def dump(data):
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=120)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """{host: (maps, formulas the host gets, pillar)}, rendered once for the module."""
    return {host: render_maps(tmp_path_factory.mktemp(host), host) for host in HOSTS}


def test_every_shipped_host_gets_a_formula(rendered):
    """A guard on the harness itself: the shipped pillar gives each host at least one formula."""
    assert HOSTS, "no pillar/hosts/*.sls"
    for host, (_maps, gets, _pillar) in rendered.items():
        assert gets and gets <= set(FORMULAS), (host, gets)


@pytest.mark.parametrize("formula", FORMULAS)
def test_merged_map_matches_golden(rendered, formula):
    """Each host that gets `formula`: its merged map is golden/<formula>/<host>.yaml, exactly."""
    wanted = {host for host, (_m, gets, _p) in rendered.items() if formula in gets}
    assert wanted, f"no shipped host gets {formula}"
    directory = GOLDEN / formula
    stale = {p.stem for p in directory.glob("*.yaml")} - wanted
    problems = []
    for host in sorted(wanted):
        maps, _gets, pillar = rendered[host]
        text = dump(maps[formula])
        leaked = [v for v in set(secret_values(pillar)) if len(v) >= 4 and v in text]
        assert not leaked, f"{formula} map of {host} carries {len(leaked)} secret value(s) after masking"
        golden = directory / f"{host}.yaml"
        if UPDATE:
            directory.mkdir(parents=True, exist_ok=True)
            golden.write_text(text)
            continue
        if not golden.exists():
            problems.append(f"{golden.relative_to(REPO)} is missing (STACKSALT_UPDATE_GOLDEN=1 writes it)")
            continue
        if golden.read_text() != text:
            diff = difflib.unified_diff(
                golden.read_text().splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{golden.relative_to(REPO)} (golden)",
                tofile=f"{formula} map of {host} (rendered now)",
            )
            problems.append("".join(diff))
    if UPDATE:
        for host in stale:
            (directory / f"{host}.yaml").unlink()
        return
    if stale:
        problems.append(f"goldens for hosts that no longer get {formula}: {sorted(stale)}")
    if problems:
        pytest.fail(
            "merged map differs from its golden; if the change is meant, regenerate with "
            "STACKSALT_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/unit/mapdata and review git diff\n\n"
            + "\n".join(problems),
            pytrace=False,
        )


def test_minion_config_lookup_wins_over_pillar_lookup(tmp_path):
    """
    `<formula>:lookup` in the minion's own config (how the integration harness and a salt-ssh
    roster's minion_opts describe a host) goes over pillar `<formula>:lookup` key by key: with
    the harness's per-minion config (tests/support/harness.py `minion_overrides`) the salt map
    takes bin_dir/unit_dir from it, ceph and host their paths; a minion-config lookup that
    sets only unit_dir leaves the pillar's bin_dir (roles/salt-minion.sls) in place.
    """
    harness = load_file(REPO / "tests/support/harness.py", "harness_mapdata")
    state_dir = tmp_path / "state"
    overrides = harness.minion_overrides(REPO, "ceph1", state_dir)
    maps, _gets, _pillar = render_maps(tmp_path / "harness", "ceph1", ("salt", "ceph", "host"), overrides)
    assert maps["salt"]["bin_dir"] == overrides["salt"]["lookup"]["bin_dir"]
    assert maps["salt"]["unit_dir"] == str(state_dir / "systemd")
    assert maps["ceph"]["conf_dir"] == str(state_dir / "etc" / "ceph")
    assert maps["ceph"]["conf_file"] == str(state_dir / "etc" / "ceph" / "ceph.conf")
    assert maps["host"]["release_file"] == str(state_dir / "etc" / "stacksalt" / "release.yaml")

    only_unit = {"salt": {"lookup": {"unit_dir": str(state_dir / "units")}}}
    maps, _gets, _pillar = render_maps(tmp_path / "unit-only", "ceph1", ("salt",), only_unit)
    assert maps["salt"]["unit_dir"] == str(state_dir / "units")
    assert maps["salt"]["bin_dir"] == "/opt/saltstack/salt/bin"


@pytest.mark.parametrize("formula", FORMULAS)
def test_map_is_built_by_the_one_library(formula):
    """Each formula's map.jinja takes its layers from salt/lib/map.jinja and reads none itself."""
    text = re.sub(r"\{#.*?#\}", "", (REPO / "salt" / formula / "map.jinja").read_text(), flags=re.S)
    assert "import 'lib/map.jinja' as libmap with context" in text
    assert "libmap.mapstack(tplroot, settings" in text
    for own_layer in ("import_yaml", "load_yaml", ":lookup", "'lookup'", "defaults.merge"):
        assert own_layer not in text, f"salt/{formula}/map.jinja merges a layer itself ({own_layer})"


def test_layers_merge_in_the_declared_order(tmp_path):
    """
    salt/lib/map.jinja's order on an id with no host file (only the site pillar): the
    os_family file goes over defaults.yaml when one exists for the family (RedHat: install
    method pkg) and is skipped when none does; a minion-config lookup goes over both.
    """
    runs = {
        "redhat": {"grains": {"host": "nohost", "os_family": "RedHat", "os": "CentOS"}},
        "unknown": {"grains": {"host": "nohost", "os_family": "Plan9", "os": "Plan9"}},
        "config": {
            "grains": {"host": "nohost", "os_family": "RedHat", "os": "CentOS"},
            "salt": {"lookup": {"install": {"method": "preinstalled"}}},
        },
    }
    method = {}
    for name, extra in runs.items():
        maps, _gets, _pillar = render_maps(tmp_path / name, "nohost", ("salt", "ironic"), extra)
        method[name] = maps["salt"]["install"]["method"]
        assert maps["ironic"]["install"]["python"] == "/usr/bin/python3"
    assert method == {"redhat": "pkg", "unknown": "pip", "config": "preinstalled"}
