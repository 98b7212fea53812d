"""
Run many Salt functions in one masterless `salt-call`-like process (salt.client.Caller) over the
repository's own roots: file_roots `<repo>/salt`, the loader directories, an empty pillar root
(each call brings its pillar as a `pillar=` override). One process for many calls keeps the
real-Salt tests fast: a new salt-call per case would cost ~2 s of start-up each.

As a module: ``run_calls(workdir, calls)`` -> one result per call. As a script (what run_calls
starts): reads ``[[fun, args, kwargs], ...]`` as JSON on stdin, writes the results as JSON.
"""

import json
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[3]


def minion_config(workdir):
    """Write a masterless minion config rooted in ``workdir``; return its path."""
    workdir = pathlib.Path(workdir)
    pillar = workdir / "pillar"
    pillar.mkdir(parents=True, exist_ok=True)
    (pillar / "top.sls").write_text("base: {}\n")
    config = {
        "file_client": "local",
        "id": "badpillar",
        "root_dir": str(workdir / "root"),
        "file_roots": {"base": [str(REPO / "salt")]},
        "pillar_roots": {"base": [str(pillar)]},
        "module_dirs": [str(REPO / "_modules")],
        "states_dirs": [str(REPO / "_states")],
        "utils_dirs": [str(REPO / "_utils")],
        "log_file": str(workdir / "minion.log"),
        "log_level_logfile": "info",
        "grains_cache": False,
    }
    path = workdir / "minion"
    path.write_text(json.dumps(config))
    return path


def run_calls(workdir, calls, timeout=300):
    """Run ``calls`` ([fun, args, kwargs] each) in one process; return their results in order."""
    config = minion_config(workdir)
    proc = subprocess.run(  # noqa: S603 - fixed argument list
        [sys.executable, __file__, str(config)],
        input=json.dumps(calls),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(proc.stdout)
    assert len(results) == len(calls)
    return results


def _main(config_path):
    import salt.client
    import salt.config

    opts = salt.config.minion_config(config_path)
    caller = salt.client.Caller(mopts=opts)
    results = []
    for fun, args, kwargs in json.load(sys.stdin):
        if fun.startswith("state."):
            # One call's test=True stays in the process's opts: every state call says its own.
            kwargs.setdefault("test", False)
        try:
            results.append({"ok": True, "ret": caller.cmd(fun, *args, **kwargs)})
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            results.append({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    _main(sys.argv[1])
