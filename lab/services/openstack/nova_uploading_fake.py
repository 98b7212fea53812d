"""
Nova's fake virt driver, except that a snapshot uploads a small payload to Glance.

The stock fake driver never uploads snapshot data, so createImage/createBackup images stay
`queued` forever. openstack-svc copies this file into the venv's ``nova/virt/`` (Nova resolves
``compute_driver`` inside ``nova.virt`` first) and sets
``compute_driver = uploading_fake.UploadingFakeDriver``.
"""

import io

from nova.image import glance
from nova.virt import fake

#: What a snapshot image holds: 1 KiB of zeros, enough for Glance to mark it active.
SNAPSHOT_PAYLOAD = b"\0" * 1024


class UploadingFakeDriver(fake.FakeDriverWithoutFakeNodes):
    """One node per nova-compute host, named after the host; snapshots become real images."""

    def snapshot(self, context, instance, image_id, update_task_state):
        super().snapshot(context, instance, image_id, update_task_state)
        metadata = {"disk_format": "raw", "container_format": "bare"}
        glance.API().update(context, image_id, metadata, data=io.BytesIO(SNAPSHOT_PAYLOAD), purge_props=False)
