"""
Real Ceph and OpenStack (Keystone + Glance on RBD) for the functional and bench tiers,
started once per pytest session through lab/services/{ceph/ceph-svc,openstack/openstack-svc}
and torn down at the session's end, and salt loaders pointed at the repository's modules.
"""

import os
import pathlib
import tempfile

from tests.support.functional import read_env, run
from tests.support.loaders import loader_opts

REPO = pathlib.Path(__file__).resolve().parents[3]
CEPH_SVC = REPO / "lab" / "services" / "ceph" / "ceph-svc"
OPENSTACK_SVC = REPO / "lab" / "services" / "openstack" / "openstack-svc"

_started = {}


def _workdir(name):
    base = pathlib.Path(os.environ.get("TMPDIR") or tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    return pathlib.Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))


def ceph(request):
    """The session's Ceph cluster: dict with dir, conf, fsid, keyrings (started on first use)."""
    if "ceph" not in _started:
        workdir = _workdir("ceph")
        # at the session's teardown (before its end: the leftover-process check runs then)
        request.session.addfinalizer(lambda: run([str(CEPH_SVC), "down", str(workdir)], 60))
        run([str(CEPH_SVC), "up", str(workdir)], 300)
        env = read_env(workdir / "env")
        _started["ceph"] = {
            "dir": str(workdir),
            "env_file": str(workdir / "env"),
            "conf": env["CEPH_CONF"],
            "fsid": env["CEPH_FSID"],
            "admin_keyring": env["CEPH_ADMIN_KEYRING"],
            "glance_keyring": env["CEPH_GLANCE_KEYRING"],
            "nocaps_keyring": env["CEPH_NOCAPS_KEYRING"],
        }
    return _started["ceph"]


def openstack(request):
    """The session's Keystone + Glance (rbd store on the session's Ceph)."""
    if "openstack" not in _started:
        cluster = ceph(request)
        workdir = _workdir("openstack")
        request.session.addfinalizer(lambda: run([str(OPENSTACK_SVC), "stop", str(workdir)], 60))
        run([str(OPENSTACK_SVC), "start", str(workdir), "--ceph-env", cluster["env_file"]], 900)
        env = read_env(workdir / "env")
        _started["openstack"] = {
            "dir": str(workdir),
            "clouds_yaml": env["OS_CLIENT_CONFIG_FILE"],
            "cloud": "admin",
            "glance_url": env["GLANCE_URL"],
            "keystone_url": env["KEYSTONE_URL"],
        }
    return _started["openstack"]


def minion_opts(tmp_path, extra=None):
    """Minion opts for salt's loaders with the repository's _modules, _states and _utils."""
    return loader_opts(tmp_path / "salt", "functional-ceph", extra=extra)
