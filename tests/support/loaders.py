"""Minion opts for saltfactories' `Loaders` over the repository's _modules, _states and _utils."""

import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]


def loader_opts(root, minion_id, pillar_roots=(), extra=None):
    """
    A masterless minion's opts rooted at `root`: its own cache, pki and sockets, the `salt/`
    file root (never the repository root: it holds .venv and scratch) and the repository's
    loader modules. `extra` is merged last (cloud or cephx settings the modules read).
    """
    import salt.config

    root = pathlib.Path(root)
    opts = salt.config.minion_config(None)
    opts.update(
        {
            "id": minion_id,
            "root_dir": str(root),
            "cachedir": str(root / "cache"),
            # Never the host's /var/cache/salt/minion/extmods: stale synced copies would shadow ours.
            "extension_modules": str(root / "cache" / "extmods"),
            "pki_dir": str(root / "pki"),
            "sock_dir": str(root / "sock"),
            "file_client": "local",
            "file_roots": {"base": [str(REPO / "salt")]},
            "pillar_roots": {"base": [str(p) for p in pillar_roots]},
            "module_dirs": [str(REPO / "_modules")],
            "states_dirs": [str(REPO / "_states")],
            "utils_dirs": [str(REPO / "_utils")],
            "grains_cache": False,
        }
    )
    for key in ("cachedir", "pki_dir", "sock_dir"):
        pathlib.Path(opts[key]).mkdir(parents=True, exist_ok=True)
    opts.update(extra or {})
    return opts
