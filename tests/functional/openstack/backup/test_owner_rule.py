"""
Backups are the server's project's images, whatever the names and properties say: against the
real Keystone, Glance and Nova, another project plants images that copy a server's backups (same
name pattern, newer stamps, ``image_type=backup``, the server's ``instance_uuid``), one shared and
one public. Retention must neither count them (they would push the real backups out) nor touch
them, and ``restore latest`` / ``list`` must not pick them.
"""

import io
import uuid

import pytest
from salt.exceptions import CommandExecutionError

from tests.functional.openstack.backup.conftest import backups_of, utc, wait_server

pytestmark = [pytest.mark.functional, pytest.mark.timeout(900)]


@pytest.fixture
def mod(loaders):
    return loaders.modules.instance_backup


@pytest.fixture
def intruder(sdk):
    """Another project of the same cloud, and the images it planted (removed afterwards)."""
    project = sdk.identity.create_project(name=f"intruder-{uuid.uuid4().hex[:6]}", domain_id="default")
    planted = []

    def plant(server_id, name, when, visibility):
        image_name = f"{name}-{when.strftime('%Y%m%d%H%M')}-daily"
        body = {
            "name": image_name,
            "disk_format": "raw",
            "container_format": "bare",
            "owner": project.id,
            "visibility": visibility,
            "image_type": "backup",
            "backup_type": "daily",
            "instance_uuid": server_id,
        }
        image = sdk.image.post("/images", json=body).json()
        sdk.image.put(
            f"/images/{image['id']}/file",
            data=io.BytesIO(b"\2" * 1024),
            headers={"Content-Type": "application/octet-stream"},
        )
        planted.append(image["id"])
        return image["id"]

    yield project, plant
    for image_id in planted:
        sdk.image.delete(f"/images/{image_id}")
    sdk.identity.delete_project(project.id)


def test_planted_images_neither_push_out_backups_nor_become_the_restore_source(
    mod, sdk, boot, seed, intruder
):
    project, plant = intruder
    server = boot("bk-owner")[0]
    assert server.project_id != project.id
    real = [seed(server.id, "own", utc(2025, 3, day, 2, 0)) for day in (1, 2, 3)]
    # Newer than every real one: by name and date alone they would be the ones kept.
    planted = [
        plant(server.id, "own", utc(2099, 1, 1, 2, 0), "shared"),
        plant(server.id, "own", utc(2099, 1, 2, 2, 0), "public"),
    ]
    all_images = backups_of(sdk, server.id)
    assert set(planted) <= set(all_images)  # the admin's listing does see them

    report = mod.backup(server.id, "own", "daily", rotation=2)
    assert report["result"] is True, report
    new = report["created"]["id"]
    assert [k["id"] for k in report["kept"]] == [new, real[2]]
    assert sorted(d["id"] for d in report["deleted"]) == sorted(real[:2])
    assert set(backups_of(sdk, server.id)) == {new, real[2], *planted}  # the planted ones untouched

    # Planted after the backup too, so it is the newest image of all by created_at.
    planted.append(plant(server.id, "own", utc(2099, 1, 3, 2, 0), "public"))
    assert {b["id"] for b in mod.list(server.id)} == {new, real[2]}
    restored = mod.restore(server.id, "latest")
    assert restored["restored_from"]["id"] == new
    assert wait_server(sdk, server.id).image.id == new

    with pytest.raises(CommandExecutionError, match="owned by project"):
        mod.restore(server.id, planted[-1])
    assert wait_server(sdk, server.id).image.id == new


def test_backup_many_ignores_planted_images(mod, sdk, boot, seed, intruder):
    project, plant = intruder
    servers = boot("bk-owner-many", count=2)
    real = {s.id: seed(s.id, "ownm", utc(2025, 3, 1, 2, 0)) for s in servers}
    planted = {s.id: plant(s.id, "ownm", utc(2099, 1, 1, 2, 0), "public") for s in servers}
    report = mod.backup_many("ownm", servers=[s.id for s in servers], rotation=1)
    assert report["result"] is True, report
    for row in report["servers"]:
        sid = row["server"]["id"]
        assert [k["id"] for k in row["kept"]] == [row["created"]["id"]]
        assert [d["id"] for d in row["deleted"]] == [real[sid]]
        assert planted[sid] in backups_of(sdk, sid)
