"""
Configuration of the harness's real Salt daemons (shared by the integration tier and the
README main job): the master serves the repository, each minion on this host gets its
own release file and the test-only service provider.
"""

import os
import pathlib
import sys

SUPPORT = pathlib.Path(__file__).resolve().parent
IGNORED_IN_FILE_ROOTS = [r"/\.git/", r"/\.venvs?/", r"/\.tmp/", r"/lab/cache/", r"/__pycache__/"]


def repo_root_view(repo_root, view_dir):
    """
    The repository root as a file root, minus its venvs and scratch: a directory of symlinks to
    the root entries Salt serves (top.sls, _modules, _states, _utils). The roots fileserver walks
    every file under a root before ignoring any, and a developer's checkout holds ~90,000 files
    of venvs; a site's master serves a clean checkout and needs no such view.
    """
    view = pathlib.Path(view_dir)
    view.mkdir(parents=True, exist_ok=True)
    for entry in ("top.sls", "_modules", "_states", "_utils", "_beacons"):
        source = pathlib.Path(repo_root) / entry
        link = view / entry
        if source.exists() and not link.exists():
            link.symlink_to(source)
    return view


def master_overrides(repo_root, known_hosts_file=None, root_view=None):
    repo_root = pathlib.Path(repo_root)
    return {
        "interface": "127.0.0.1",
        "file_roots": {"base": [str(repo_root / "salt"), str(root_view or repo_root)]},
        "pillar_roots": {"base": [str(repo_root / "pillar")]},
        "auto_accept": False,
        "open_mode": False,
        "worker_threads": 3,
        # The repository root is a file root (for _modules/...): never serve its venvs,
        # caches and test scratch (gigabytes that every sync would otherwise walk).
        "file_ignore_regex": IGNORED_IN_FILE_ROOTS,
        # salt-ssh hosts run pillar_schema too: ship jsonschema in the thin.
        "thin_extra_mods": "jsonschema,jsonschema_specifications,referencing,rpds,attrs,attr,typing_extensions",
        # salt-ssh checks host keys against this file (the tests write the target's key).
        **({"known_hosts_file": str(known_hosts_file)} if known_hosts_file else {}),
    }


def minion_overrides(repo_root, minion_id, state_dir):
    """Per-minion config: where this "host" keeps its files and its supervised services."""
    state_dir = pathlib.Path(state_dir)
    return {
        "loop_interval": 1,
        "module_dirs": [str(SUPPORT / "extmods")],
        "stacksalt_test_service_dir": str(state_dir / "services"),
        # The minions share this machine: give each its own copy of host-wide paths.
        "host": {"lookup": {"release_file": str(state_dir / "etc" / "stacksalt" / "release.yaml")}},
        # units (salt.minion.canary) go to the "host's" own directory, never this machine's
        "salt": {
            "lookup": {"bin_dir": os.path.dirname(sys.executable), "unit_dir": str(state_dir / "systemd")}
        },
        "ceph": {"lookup": {"conf_dir": str(state_dir / "etc" / "ceph")}},
    }
