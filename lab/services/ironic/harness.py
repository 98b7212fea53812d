"""
Python side of ``ironic-svc`` for test fixtures and benchmarks.

    inst = IronicInstance.start(workdir, automated_clean=True, max_concurrent_clean=2)
    inst.url, inst.sushy_url, inst.clouds_yaml, inst.request_count()
    inst.stop()

``salt_loaders(tmpdir, clouds)`` gives salt-factories ``Loaders`` with the repository's
``_modules``, ``_states`` and ``_utils`` and an ``openstack:clouds`` config, so tests call
``loaders.modules.ironic_node.*`` and ``loaders.states.ironic_node.*`` like a minion would.
"""

import os
import pathlib
import re
import subprocess

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
SCRIPT = HERE / "ironic-svc"
_API_LINE = re.compile(r" ironic\.api .* - (GET|POST|PUT|PATCH|DELETE) (\S+) - (\d{3}) ")


class IronicInstance:
    def __init__(self, workdir, env):
        self.workdir = pathlib.Path(workdir)
        self.env = env
        self.url = env["IRONIC_URL"]
        self.sushy_url = env["SUSHY_URL"]
        self.clouds_yaml = env["OS_CLIENT_CONFIG_FILE"]
        self.automated_clean = env["IRONIC_AUTOMATED_CLEAN"] == "true"
        self.max_concurrent_clean = int(env["IRONIC_MAX_CONCURRENT_CLEAN"])
        self.venv = pathlib.Path(env["IRONIC_VENV"])
        self.log = pathlib.Path(env["IRONIC_LOG"])

    @classmethod
    def start(
        cls,
        workdir,
        automated_clean=False,
        max_concurrent_clean=50,
        redfish_systems=4,
        clean_seconds=1,
        workers=300,
        max_limit=1000,
        timeout=300,
    ):
        args = [
            str(SCRIPT),
            "start",
            str(workdir),
            "--automated-clean",
            "true" if automated_clean else "false",
        ]
        args += [
            "--max-concurrent-clean",
            str(max_concurrent_clean),
            "--redfish-systems",
            str(redfish_systems),
            "--clean-seconds",
            str(clean_seconds),
            "--workers",
            str(workers),
            "--max-limit",
            str(max_limit),
        ]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"ironic-svc start failed ({proc.returncode}):\n{proc.stderr}\n{proc.stdout}")
        env = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        return cls(workdir, env)

    def stop(self):
        subprocess.run([str(SCRIPT), "stop", str(self.workdir)], check=False, timeout=60)

    def alive(self):
        return subprocess.run([str(SCRIPT), "status", str(self.workdir)], check=False).returncode == 0

    def cloud(self):
        """An ``openstack:clouds`` entry for this instance."""
        return {"auth_type": "none", "baremetal_endpoint_override": self.url}

    def request_log(self):
        """Every API request Ironic served so far: [(method, path, status)]."""
        out = []
        with open(self.log, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                m = _API_LINE.search(line)
                if m:
                    out.append((m.group(1), m.group(2), int(m.group(3))))
        return out

    def request_count(self):
        return len(self.request_log())

    def cli_env(self):
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=self.clouds_yaml, OS_CLOUD="ironic")
        env["PATH"] = f"{self.venv / 'bin'}:{env['PATH']}"
        return env


def raw_requester(headers, pool_size=32):
    """
    ``request(method, url, **kw)`` on one pooled ``requests`` session with ``headers``, for the
    raw-API baselines and bulk setup of the benches. Ironic's API resets connections under load:
    those are retried (6 times, backoff from 0.2 s); a POST that did land answers 409 on retry.
    """
    import time

    import requests

    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=pool_size))

    def request(method, url, **kw):
        for attempt in range(6):
            try:
                return session.request(method, url, headers=headers, timeout=60, **kw)
            except requests.exceptions.ConnectionError:
                time.sleep(0.2 * 2**attempt)
        return session.request(method, url, headers=headers, timeout=60, **kw)

    return request


def create_node(request, base_url, spec):
    """
    Create one node of a bench spec (``name``, ``driver``, ``driver_info``, ``properties``,
    ``ports``) and its ports through the raw API with ``request`` (``raw_requester``); returns its
    uuid. A 409 means an earlier attempt landed before its connection was reset: the node (or
    port) is there already.
    """
    body = {k: spec[k] for k in ("name", "driver", "driver_info", "properties")}
    r = request("POST", f"{base_url}/v1/nodes", json=body)
    if r.status_code == 409:
        r = request("GET", f"{base_url}/v1/nodes/{spec['name']}")
    r.raise_for_status()
    uuid = r.json()["uuid"]
    for port in spec["ports"]:
        r = request("POST", f"{base_url}/v1/ports", json={"address": port["address"], "node_uuid": uuid})
        if r.status_code != 409:
            r.raise_for_status()
    return uuid


def minion_opts(tmpdir, clouds, extra=None):
    import salt.config

    tmpdir = pathlib.Path(tmpdir)
    opts = salt.config.minion_config(None)
    opts.update(
        {
            "id": "ironic-functional",
            "file_client": "local",
            "cachedir": str(tmpdir / "cache"),
            "pki_dir": str(tmpdir / "pki"),
            "sock_dir": str(tmpdir / "sock"),
            "conf_file": str(tmpdir / "minion"),
            # The repository root holds .venvs/ and .git: a file server over it is slow.
            "file_roots": {"base": [str(tmpdir / "srv")]},
            "module_dirs": [str(REPO / "_modules")],
            "states_dirs": [str(REPO / "_states")],
            "utils_dirs": [str(REPO / "_utils")],
            "openstack": {"clouds": clouds},
            "log_level": "warning",
        }
    )
    opts.update(extra or {})
    os.makedirs(tmpdir / "srv", exist_ok=True)
    for key in ("cachedir", "pki_dir", "sock_dir"):
        os.makedirs(opts[key], exist_ok=True)
    return opts


def salt_loaders(tmpdir, clouds, extra=None):
    from saltfactories.utils.functional import Loaders

    return Loaders(minion_opts(tmpdir, clouds, extra))
