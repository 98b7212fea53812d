"""
Session fixtures for the Ceph/Glance functional tests: a real single-host Ceph cluster and a
real Keystone + Glance (rbd store on that cluster), started once per session by the lab
scripts, and salt loaders over the repository's _modules/_states/_utils with the cephx and
cloud settings the states read from config.
"""

import pytest
from saltfactories.utils.functional import Loaders

from tests.functional.ceph import services
from tests.support.functional import admin_cloud, modules, states  # noqa: F401 - shared fixtures


@pytest.fixture(scope="session")
def ceph_cluster(request):
    return services.ceph(request)


@pytest.fixture(scope="session")
def openstack_cloud(request):
    return services.openstack(request)


@pytest.fixture(scope="session")
def cloud_config(openstack_cloud):
    """`openstack:clouds:admin` as a site would put it in pillar/config."""
    return admin_cloud(openstack_cloud["clouds_yaml"])


@pytest.fixture(scope="session")
def salt_files(tmp_path_factory):
    """A second file_roots entry the tests put salt:// sources into."""
    return tmp_path_factory.mktemp("salt-files")


@pytest.fixture(scope="module")
def loaders(tmp_path_factory, ceph_cluster, openstack_cloud, cloud_config, salt_files):
    tmp = tmp_path_factory.mktemp("loaders")
    opts = services.minion_opts(
        tmp,
        {
            "file_roots": {"base": [str(services.REPO / "salt"), str(salt_files)]},
            "ceph": {
                "client": {"conf": ceph_cluster["conf"], "user": "glance"},
                "admin": {"conf": ceph_cluster["conf"], "keyring": ceph_cluster["admin_keyring"]},
            },
            "openstack": {"cloud": "admin", "clouds": cloud_config},
        },
    )
    return Loaders(opts)
