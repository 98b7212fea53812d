"""The bench tier reuses the functional tier's session services (one cluster per session)."""

from tests.functional.ceph.conftest import (  # noqa: F401
    ceph_cluster,
    cloud_config,
    loaders,
    openstack_cloud,
    salt_files,
)
