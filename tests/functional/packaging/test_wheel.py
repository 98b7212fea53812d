"""
stacksalt installs as a Salt extension: a wheel built from this repository (``pip wheel``),
installed with pip, makes every execution module, state, util and runner available through the
``salt.loader`` entry point, with no ``saltutil.sync_all``; a sync from the fileserver keeps
working beside it. ``stacksalt_release.version`` says which way each host got its modules.

Real parts: pip builds and installs the wheel, and Salt's own ``salt-call`` and loaders (run as
separate processes that see the installed package on their path) load it.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

pytestmark = pytest.mark.functional

REPO = pathlib.Path(__file__).resolve().parents[3]
PYTHON = sys.executable
#: Loader directories of the repository, and the module type Salt's loader knows each by.
LOADER_DIRS = {"_modules": "modules", "_states": "states", "_utils": "utils", "_runners": "runners"}
#: What a wheel is built from: everything else of the checkout stays out of it.
WHEEL_SOURCES = ["pyproject.toml", "README.md", "saltext", *LOADER_DIRS]


def run(*cmd, env=None, timeout=300, cwd="/"):
    # never from the checkout: its saltext/ package (no module directories in it) would shadow
    # the installed one for `python -c`, which puts the working directory first on sys.path
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd=cwd)
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    src = tmp_path_factory.mktemp("wheel-src")
    for name in WHEEL_SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    run(PYTHON, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(src))
    (built,) = out.glob("stacksalt-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    run(PYTHON, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel))
    return target


def minion_config(root, file_roots):
    root.mkdir(parents=True, exist_ok=True)
    conf = {
        "id": "wheel-host",
        "root_dir": str(root),
        "cachedir": str(root / "cache"),
        "extension_modules": str(root / "cache" / "extmods"),
        "pki_dir": str(root / "pki"),
        "sock_dir": str(root / "sock"),
        "log_file": str(root / "minion.log"),
        "file_client": "local",
        "file_roots": {"base": [str(p) for p in file_roots]},
        "pillar_roots": {"base": [str(root / "pillar")]},
        # a masterless minion would otherwise sync from file_roots on every state run
        "autoload_dynamic_modules": False,
    }
    (root / "minion").write_text(json.dumps(conf))
    return root


def salt_call(conf_dir, *args, pythonpath=None):
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    salt_call = pathlib.Path(PYTHON).parent / "salt-call"
    out = run(str(salt_call), "--local", "-c", str(conf_dir), "--out", "json", "-l", "quiet", *args, env=env)
    return json.loads(out)["local"]


def test_the_wheel_holds_every_loader_module_and_nothing_else(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for directory, kind in LOADER_DIRS.items():
        for path in (REPO / directory).glob("*.py"):
            assert f"saltext/stacksalt/{kind}/{path.name}" in names, path
    outside = {n for n in names if not n.startswith(("saltext/stacksalt/", "stacksalt-"))}
    assert outside == set(), "the wheel carries files that are not loader modules"
    assert not any(n.startswith(("pillar/", "salt/", "lab/", "tests/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[salt.loader]" in text and "saltext.stacksalt" in text


def test_installed_wheel_serves_every_module_with_no_sync(site, tmp_path):
    # an empty file root: nothing could be synced from it
    conf = minion_config(tmp_path / "minion", [tmp_path / "empty"])
    (tmp_path / "empty").mkdir()
    release = salt_call(conf, "stacksalt_release.version", pythonpath=site)
    assert release["source"] == "wheel", release
    assert release["path"].startswith(str(site)), release
    meta = next(site.glob("stacksalt-*.dist-info")).name
    assert meta == f"stacksalt-{release['version']}.dist-info", (
        "the wheel and the module disagree on the version"
    )
    assert not (conf / "cache" / "extmods" / "modules").exists(), "something was synced"
    # a module whose work is in a util (Salt builds __utils__ from synced directories only)
    errors = salt_call(
        conf,
        "pillar_schema.validate",
        "salt",
        'data={"minion": {"master_port": "x"}}',
        'schema_data={"type": "object", "properties": {"minion": {"type": "object", '
        '"properties": {"master_port": {"type": "integer"}}}}}',
        pythonpath=site,
    )
    assert errors == ["salt:minion:master_port: must be of type integer, got a string"], errors
    # every module, state and runner file is in Salt's file mapping of its type (whatever its
    # __virtual__ decides); utils are plain imports of the package (Salt's loader takes none
    # from an extension), as the modules reach them through saltext.stacksalt.util
    script = (
        "import importlib, json, pathlib, sys, salt.config, salt.loader, saltext.stacksalt\n"
        "opts = salt.config.minion_config(sys.argv[1])\n"
        "mopts = salt.config.master_config(None)\n"
        "mopts.update({k: opts[k] for k in ('cachedir', 'extension_modules')})\n"
        "utils = salt.loader.utils(opts)\n"
        "mods = salt.loader.minion_mods(opts, utils=utils)\n"
        "loaders = {'modules': mods, 'states': salt.loader.states(opts, mods, utils, {}),\n"
        "           'runners': salt.loader.runner(mopts, utils=utils)}\n"
        "out = {k: sorted({p for p, *_ in l.file_mapping.values() if 'saltext' in p}) for k, l in loaders.items()}\n"
        "here = pathlib.Path(saltext.stacksalt.__file__).parent / 'utils'\n"
        "out['utils'] = sorted(importlib.import_module('saltext.stacksalt.utils.' + f.stem).__file__\n"
        "                      for f in here.glob('*.py'))\n"
        "out['util'] = saltext.stacksalt.util('stacksalt_secrets.mask')({'ipmi_password': 'x'})\n"
        "print(json.dumps(out))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    mapping = json.loads(run(PYTHON, "-c", script, str(conf / "minion"), env=env).splitlines()[-1])
    for directory, kind in LOADER_DIRS.items():
        want = {f"{site}/saltext/stacksalt/{kind}/{p.name}" for p in (REPO / directory).glob("*.py")}
        assert set(mapping[kind]) == want, kind
    assert mapping["util"] == {"ipmi_password": "**********"}  # the one mask (stacksalt_secrets.MASK)


def test_a_sync_from_the_fileserver_still_works_without_the_wheel(tmp_path):
    # the master's served view: the loader directories at the root of a file root
    view = tmp_path / "served"
    view.mkdir()
    for directory in LOADER_DIRS:
        (view / directory).symlink_to(REPO / directory)
    conf = minion_config(tmp_path / "minion", [view])
    synced = salt_call(conf, "saltutil.sync_all")
    assert "modules.stacksalt_release" in synced["modules"], synced
    release = salt_call(conf, "stacksalt_release.version")
    assert release["source"] == "synced", release


def test_salt_ssh_thin_carries_the_installed_extension(site, tmp_path):
    """Salt 3008.4's thin (what salt-ssh copies to a host) packs every installed extension: its
    package and its entry point, so a salt-ssh host runs the wheel's modules."""
    script = (
        "import sys, tarfile, salt.utils.thin\n"
        "path = salt.utils.thin.gen_thin(sys.argv[1], overwrite=True)\n"
        "print('\\n'.join(tarfile.open(path).getnames()))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    names = set(run(PYTHON, "-c", script, str(tmp_path / "thin"), env=env, cwd=str(tmp_path)).splitlines())
    assert "py3/saltext/stacksalt/modules/ironic_node.py" in names
    assert "py3/saltext/stacksalt/states/ironic_node.py" in names
    assert "py3/saltext/stacksalt/utils/stacksalt_openstack.py" in names
    assert "py3/stacksalt.dist-info/entry_points.txt" in names
