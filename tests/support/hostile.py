"""
What a hostile minion tries, and what it must never get: shared by the integration tier (real
daemons on this host) and the lab tier (lab hosts), so both try the same attacks.

- `served_files(repo)`: what the shipped file roots hold, read from disk: the formulas
  (`salt/`) and the view's entries (`top.sls` and the loader directories); a minion's
  `cp.list_master` must be exactly this.
- `secret_values(repo)`: every value of `pillar/secrets/*.sls` (the strings a served file, a
  return or a log must never hold).
- `FORBIDDEN_PATHS`: `salt://` paths outside the served set, traversal forms included.
- `PROBE` (hostile_probe.py): runs a list of attempts on a minion host with that host's own
  config and key, in one process; `fileserver_attempts()` builds the fileserver ones.
"""

import pathlib
import re

import yaml

from tests.support.loader import util

# salt.master's served_entries (salt/salt/parameters/defaults.yaml) and file_ignore_regex.
SERVED_ENTRIES = ("top.sls", "_modules", "_states", "_utils")
IGNORED = re.compile(r"(/__pycache__/|\.pyc$)")

# Paths of the checkout that are not served, asked for in every form a minion could try.
FORBIDDEN_PATHS = (
    "pillar/top.sls",
    "pillar/secrets/ceph1.sls",
    "pillar/secrets/ironic1.sls",
    "pillar/secrets/master.sls",
    "secrets/ceph1.sls",
    "lab/lab",
    "tests/conftest.py",
    "docs/salt.md",
    "README.md",
    "requirements.lock",
    ".git/config",
    "_runners/stacksalt_heal.py",
    "../pillar/secrets/ceph1.sls",
    "../../pillar/secrets/ceph1.sls",
    "_modules/../pillar/secrets/ceph1.sls",
    "_modules/../../pillar/secrets/ceph1.sls",
    "salt/../pillar/secrets/ceph1.sls",
    "%2e%2e/pillar/secrets/ceph1.sls",
    "/etc/shadow",
    "/etc/salt/pki/master/master.pem",
)
FORBIDDEN_PREFIXES = ("pillar", "secrets", "lab", "tests", "docs", ".git", "_runners", "..")


def served_files(repo):
    """Relative paths of every file the shipped roots serve (what `cp.list_master` lists)."""
    repo = pathlib.Path(repo)
    found = set()
    roots = [(repo / "salt", "")] + [(repo / entry, entry) for entry in SERVED_ENTRIES]
    for root, prefix in roots:
        if root.is_file():
            found.add(prefix)
            continue
        for path in root.rglob("*"):
            if path.is_file():
                rel = path.relative_to(root).as_posix()
                rel = f"{prefix}/{rel}" if prefix else rel
                if not IGNORED.search("/" + rel):
                    found.add(rel)
    return found


# The project's one secret rule (_utils/stacksalt_secrets.py), the copy behind the loader's __utils__.
SECRETS_RULE = util("stacksalt_secrets")


def _leaves(data, secret=False):
    """The secret strings of `data`: leaves under a key the project's one rule calls secret
    (`_utils/stacksalt_secrets.py`: ceph:keys:*, ironic:node_secrets, passwords), not an
    auth_url or a region name that merely sits in a secrets file."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, secret or SECRETS_RULE.is_secret_key(key))
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value, secret)
    elif isinstance(data, str) and len(data) >= 8 and secret:
        yield data


def secret_values(repo):
    """{value: the secrets file it comes from} for every secret string of pillar/secrets."""
    values = {}
    for path in sorted((pathlib.Path(repo) / "pillar" / "secrets").glob("*.sls")):
        for value in _leaves(yaml.safe_load(path.read_text()) or {}):
            values[value] = path.name
    if not values:
        raise AssertionError("pillar/secrets holds no secret values: the leak checks would prove nothing")
    return values


def leaks(text, secrets):
    """The secrets files whose values appear in `text`."""
    return sorted({source for value, source in secrets.items() if value in text})


# ---------------------------------------------------------------- attempts through a minion's key
PROBE = pathlib.Path(__file__).resolve().with_name("hostile_probe.py")


def attempt(fun, *args, **kwargs):
    return {"fun": fun, "args": list(args), "kwargs": kwargs}


def fileserver_attempts():
    """(what was tried, attempt) for every non-served path and prefix, in every form."""
    tried = [
        (f"cp.get_file_str salt://{p}", attempt("cp.get_file_str", f"salt://{p}")) for p in FORBIDDEN_PATHS
    ]
    for prefix in FORBIDDEN_PREFIXES:
        tried.append((f"cp.list_master prefix={prefix}", attempt("cp.list_master", prefix=prefix)))
        tried.append(
            (
                f"cp.get_dir salt://{prefix}",
                attempt("cp.get_dir", f"salt://{prefix}", "/tmp/stacksalt-hostile-getdir"),
            )
        )
    return tried


def got_something(result):
    """A result that carries data: anything but an error, False, None or an empty value."""
    return "error" not in result and result.get("ret") not in (False, None, "", [], {})


def secret_owners(repo):
    """{value: {host ids whose secrets file holds it}} (a client key can be several hosts')."""
    owners = {}
    for path in sorted((pathlib.Path(repo) / "pillar" / "secrets").glob("*.sls")):
        for value in _leaves(yaml.safe_load(path.read_text()) or {}):
            owners.setdefault(value, set()).add(path.stem)
    return owners


def probe_here(minion_config, attempts):
    """Run `attempts` through PROBE on this machine, as the minion of `minion_config`."""
    import json
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, str(PROBE), str(minion_config)],
        input=json.dumps(attempts), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if run.returncode != 0:
        raise AssertionError(f"probe failed: {run.stderr[-3000:]}")
    results = json.loads(run.stdout)
    assert len(results) == len(attempts)
    return results
