"""
instance_backup against the real Nova (fake virt driver, snapshots uploaded to the real Glance):
backups are real snapshot images, rotation and daily/weekly/monthly retention delete exactly the
right images, restore rebuilds the server from its backup, and a Glance outage in the middle of
a run is reported with nothing lost (a re-run finishes the job).

The Glance outage is cut into the minion's path only: the `flaky` cloud reaches Glance through a
forwarding proxy (glance_proxy.py) that the test trips at a chosen request; Nova keeps its direct
path, as when the minion's network to Glance or a Glance API node fails.

The session's Nova runs on MariaDB (openstack-svc --compute), so a run over several servers
sends its createBackup calls concurrently, as on a site.
"""

import re
import uuid

import pytest
from salt.exceptions import SaltInvocationError

from tests.functional.openstack.backup.conftest import backups_of, utc, wait_server

pytestmark = [pytest.mark.functional, pytest.mark.timeout(900)]


@pytest.fixture
def mod(loaders):
    return loaders.modules.instance_backup


def actions(sdk, server_id):
    return [a.action for a in sdk.compute.server_actions(server_id)]


def test_backup_is_a_real_snapshot_image(mod, sdk, boot):
    server = boot("bk-real")[0]
    report = mod.backup(server.name, "real", "daily", rotation=2)
    assert report["result"] is True, report
    created = report["created"]
    assert created["status"] == "active"
    image = sdk.image.get(f"/images/{created['id']}").json()  # Glance's own JSON
    assert re.fullmatch(r"real-\d{12}-daily", image["name"]), image["name"]
    assert image["name"] == report["image_name"] == created["name"]
    assert (image["image_type"], image["backup_type"], image["instance_uuid"]) == (
        "backup",
        "daily",
        server.id,
    )
    assert image["size"] == 1024  # the payload the fake driver's snapshot uploaded: real data
    assert [k["id"] for k in report["kept"]] == [created["id"]]
    assert report["deleted"] == [] and report["delete_failed"] == []
    assert "createBackup" in actions(sdk, server.id)
    assert wait_server(sdk, server.id).status == "ACTIVE"
    listed = mod.list(server.id)
    assert [b["id"] for b in listed] == [created["id"]]
    assert listed[0]["backup_type"] == "daily" and listed[0]["status"] == "active"


def test_rotation_deletes_exactly_the_oldest_of_its_type(mod, sdk, boot, seed):
    server = boot("bk-rot")[0]
    dailies = [seed(server.id, "rot", utc(2025, 1, day, 2, 0)) for day in (1, 2, 3, 4, 5)]
    weekly = seed(server.id, "rot", utc(2025, 1, 4, 3, 0), "weekly")
    other_name = seed(server.id, "rotx", utc(2025, 1, 1))
    never_uploaded = seed(server.id, "rot", utc(2024, 12, 31), data=False)
    report = mod.backup(server.id, "rot", "daily", rotation=3)
    assert report["result"] is True, report
    new = report["created"]["id"]
    assert sorted(d["id"] for d in report["deleted"]) == sorted(dailies[:3])
    assert [k["id"] for k in report["kept"]] == [new, dailies[4], dailies[3]]
    assert [s["id"] for s in report["skipped"]] == [never_uploaded]
    assert set(backups_of(sdk, server.id)) == {
        new,
        dailies[3],
        dailies[4],
        weekly,
        other_name,
        never_uploaded,
    }


def test_daily_weekly_monthly_retention_in_one_pass(mod, sdk, boot, seed):
    server = boot("bk-gfs")[0]
    # 2025-03-03 is a Monday: 03-03..05 share ISO week 10.
    dates = {
        "jan10": utc(2025, 1, 10),
        "jan20": utc(2025, 1, 20),
        "feb05": utc(2025, 2, 5),
        "feb25": utc(2025, 2, 25),
        "mar03": utc(2025, 3, 3),
        "mar04": utc(2025, 3, 4),
        "mar05": utc(2025, 3, 5),
    }
    ids = {
        key: seed(server.id, "gfs", when, "weekly" if key == "feb25" else "daily")
        for key, when in dates.items()
    }
    report = mod.backup(server.id, "gfs", "daily", retention={"daily": 3, "weekly": 2, "monthly": 3})
    assert report["result"] is True, report
    new = report["created"]["id"]
    # daily: new, mar05, mar04; weekly: new, mar05 (W10); monthly: new, 2025-03 (mar05), 2025-02 (feb25).
    kept = {k["id"]: k["reasons"] for k in report["kept"]}
    assert set(kept) == {new, ids["mar05"], ids["mar04"], ids["feb25"]}
    assert kept[ids["mar05"]] == ["daily 2025-03-05", "weekly 2025-W10", "monthly 2025-03"]
    assert kept[ids["feb25"]] == ["monthly 2025-02"]
    assert sorted(d["id"] for d in report["deleted"]) == sorted(
        ids[k] for k in ("jan10", "jan20", "feb05", "mar03")
    )
    assert set(backups_of(sdk, server.id)) == set(kept)


def test_bad_arguments_fail_before_any_api_call(mod, sdk, boot):
    server = boot("bk-bad")[0]
    before = actions(sdk, server.id)
    with pytest.raises(SaltInvocationError, match=r"rotation: 0 is refused: Nova treats rotation=0"):
        mod.backup(server.id, "bad", "daily", rotation=0)
    with pytest.raises(SaltInvocationError, match=r"retention:hourly: unknown rule"):
        mod.backup(server.id, "bad", "daily", retention={"hourly": 4})
    with pytest.raises(SaltInvocationError, match=r"backup_type: 'week-ly'"):
        mod.backup(server.id, "bad", "week-ly", rotation=1)
    assert actions(sdk, server.id) == before
    assert backups_of(sdk, server.id) == {}


def test_quiesce_needs_the_guest_agent_property(mod, sdk, boot):
    plain = boot("bk-q-plain")[0]
    agent = boot("bk-q-agent", image="agent")[0]
    refused = mod.backup(plain.id, "q", "daily", rotation=2, quiesce=True)
    assert refused["result"] is False
    assert "lacks hw_qemu_guest_agent=yes" in refused["error"]
    assert refused["created"] is None and backups_of(sdk, plain.id) == {}
    assert "createBackup" not in actions(sdk, plain.id)
    done = mod.backup(agent.id, "q", "daily", rotation=2, quiesce=True)
    assert done["result"] is True, done
    assert done["quiesce"] == "attempted"
    assert done["created"]["status"] == "active"


def test_restore_rebuilds_the_server_from_its_backup(mod, sdk, boot, base_images):
    server, other = boot("bk-restore", count=2)
    backup = mod.backup(server.id, "rs", "daily", rotation=3)
    assert backup["result"] is True, backup
    backup_id = backup["created"]["id"]
    result = mod.restore(server.name, backup_id)
    assert result["restored_from"]["id"] == backup_id
    assert result["previous_image"] == base_images["plain"]
    now = sdk.compute.get_server(server.id)
    assert (now.status, now.task_state, now.image.id) == ("ACTIVE", None, backup_id)
    assert "rebuild" in actions(sdk, server.id)
    # `latest` finds the newest active backup; another server's backup is refused before any call.
    assert mod.restore(server.id, "latest")["restored_from"]["id"] == backup_id
    other_report = mod.backup(other.id, "rs", "daily", rotation=3)
    assert other_report["result"] is True, other_report["error"]
    other_backup = other_report["created"]["id"]
    rebuilds = actions(sdk, server.id).count("rebuild")
    with pytest.raises(Exception, match=rf"image {other_backup} is not a backup of server {server.name}"):
        mod.restore(server.id, other_backup)
    with pytest.raises(Exception, match=r"has no backup 'rs-000000000000-daily'"):
        mod.restore(server.id, "rs-000000000000-daily")
    assert actions(sdk, server.id).count("rebuild") == rebuilds


def test_glance_outage_while_waiting_deletes_nothing_and_a_rerun_repairs(mod, sdk, boot, seed, glance_proxy):
    (server,) = boot("bk-out-wait")
    old = [seed(server.id, "ow", utc(2025, 5, day)) for day in (1, 2)]
    # Glance answers the minion until the first poll of the new image, then is down.
    glance_proxy.trip_after("GET", "/v2/images?", 0)
    try:
        report = mod.backup_many("ow", servers=[server.id], rotation=1, wait_timeout=240, cloud="flaky")
    finally:
        glance_proxy.restore()
    assert report["result"] is False
    (row,) = report["servers"]
    assert row["created"] is not None and row["created"]["status"].startswith("unknown (ConnectFailure")
    assert "no older backup was deleted" in row["error"]
    assert row["deleted"] == [] and row["kept"] == [] and report["summary"]["failed_servers"] == 1
    first = row["created"]["id"]
    # Nothing lost: every old backup is there, Nova finished the new one, the server is fine.
    assert set(backups_of(sdk, server.id)) == {*old, first}
    sdk.image.wait_for_status(sdk.image.get_image(first), status="active", interval=0.3, wait=240)
    assert wait_server(sdk, server.id).status == "ACTIVE"
    again = mod.backup_many("ow", servers=[server.id], rotation=1, wait_timeout=240, cloud="flaky")
    assert again["result"] is True, again
    (row,) = again["servers"]
    assert sorted(d["id"] for d in row["deleted"]) == sorted([*old, first])
    assert set(backups_of(sdk, server.id)) == {row["created"]["id"]}


def test_glance_outage_during_deletes_is_reported_per_image_and_a_rerun_repairs(
    mod, sdk, boot, seed, glance_proxy
):
    (server,) = boot("bk-out-del")
    old = [seed(server.id, "od", utc(2025, 6, day)) for day in (1, 2, 3, 4, 5)]
    glance_proxy.trip_after("DELETE", "/v2/images/", 2)  # 2 deletes pass, then Glance is down
    try:
        report = mod.backup_many(
            "od", servers=[server.id], rotation=1, wait_timeout=240, concurrency=2, cloud="flaky"
        )
    finally:
        glance_proxy.restore()
    assert report["result"] is False
    assert report["summary"]["deleted"] == 2 and report["summary"]["delete_failed"] == 3
    (row,) = report["servers"]
    assert row["created"]["status"] == "active"
    done = {d["id"] for d in row["deleted"]}
    failed = {d["id"]: d["error"] for d in row["delete_failed"]}
    assert done | set(failed) == set(old) and not done & set(failed)
    assert all("Unable to establish connection" in e for e in failed.values()), failed
    assert row["error"] == "3 old backup(s) could not be deleted; the next run retries"
    # The report is the truth: what it says was deleted is gone, what failed is still there.
    assert set(backups_of(sdk, server.id)) == {row["created"]["id"], *failed}
    again = mod.backup_many("od", servers=[server.id], rotation=1, wait_timeout=240, cloud="flaky")
    assert again["result"] is True, again
    (row,) = again["servers"]
    assert set(backups_of(sdk, server.id)) == {row["created"]["id"]}


def test_backup_many_selects_by_tag_and_metadata_and_test_mode_changes_nothing(mod, sdk, boot, seed):
    tagged, meta, untouched = boot("bk-sel", count=3)
    mark = f"sel{uuid.uuid4().hex[:8]}"  # this test's own tag and metadata value
    sdk.compute.put(f"/servers/{tagged.id}/tags/{mark}", microversion="2.26")
    sdk.compute.set_server_metadata(meta, backup=mark)
    olds = {s.id: seed(s.id, "sel", utc(2025, 7, 1)) for s in (tagged, meta, untouched)}
    plan = mod.backup_many("sel", tags=[mark], metadata={"backup": mark}, rotation=1, test=True)
    assert {r["server"]["id"] for r in plan["servers"]} == {tagged.id, meta.id}
    for row in plan["servers"]:
        assert [d["id"] for d in row["deleted"]] == [olds[row["server"]["id"]]]
        assert row["created"] is None
    assert all(set(backups_of(sdk, sid)) == {old} for sid, old in olds.items())
    # The real run: both selected servers backed up at once, the third one left alone.
    report = mod.backup_many("sel", tags=[mark], metadata={"backup": mark}, rotation=1, concurrency=2)
    assert report["result"] is True, [r["error"] for r in report["servers"]]
    assert report["summary"] == dict(
        report["summary"], servers=2, created=2, kept=2, deleted=2, delete_failed=0
    )
    for row in report["servers"]:
        assert set(backups_of(sdk, row["server"]["id"])) == {row["created"]["id"]}
    assert set(backups_of(sdk, untouched.id)) == {olds[untouched.id]}
    missing = mod.backup_many("sel", servers=["no-such-server"], rotation=1, test=True)
    assert missing["result"] is False and missing["errors"] == [
        "servers: no server named or with id 'no-such-server'"
    ]
