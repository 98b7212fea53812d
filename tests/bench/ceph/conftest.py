"""The bench tier reuses the functional tier's session services (one cluster per session)."""

from tests.functional.ceph.conftest import ceph_cluster, cloud_config, loaders, openstack_cloud  # noqa: F401
