"""
Failed deletes in backup retention, on mocks, in both modes where the state has two:

- the policy state on a minion it no longer runs on, when Salt's scheduler fails to delete the
  job (`testmode`: the exact return of each mode);
- the plan test=True shows (show_plan), for a server whose old backups are due for deletion;
- the execution module's run (what the scheduled job calls) when Glance refuses some of the
  deletes its retention asks for: reported per image, the run fails, the next run retries.
"""

import datetime
from unittest.mock import MagicMock

import pytest
from salt.exceptions import CommandExecutionError

from tests.support.loader import utils_dunder

pytestmark = pytest.mark.unit

JOB = "instance_backup-nightly"
POLICY = {"schedule": {"cron": "0 2 * * *"}, "tags": ["backup"], "retention": {"daily": 2}}


@pytest.fixture
def schedule():
    """Salt's schedule module: one job of this policy, and a delete that fails."""
    return {
        "instance_backup.validate": MagicMock(return_value=[]),
        "instance_backup.backup_many": MagicMock(),
        "schedule.list": MagicMock(return_value={JOB: {"function": "instance_backup.backup_many"}}),
        "schedule.delete": MagicMock(
            return_value={"result": False, "comment": "Failed to delete job from schedule."}
        ),
    }


def test_policy_moved_elsewhere_whose_job_delete_fails(salt_loader, schedule, testmode):
    state = salt_loader.state("instance_backup", salt=schedule, opts={"test": testmode, "id": "compute1"})
    ret = state.policy("nightly", run_on="backup1", **POLICY)
    if testmode:
        assert ret == {
            "name": "nightly",
            "result": None,
            "changes": {JOB: {"old": "scheduled", "new": None}},
            "comment": f"Schedule job {JOB} would be removed (the policy runs on backup1).",
        }
        schedule["schedule.delete"].assert_not_called()
        return
    assert ret == {
        "name": "nightly",
        "result": False,
        "changes": {},
        "comment": f"Removing schedule job {JOB} failed: Failed to delete job from schedule.",
    }
    schedule["schedule.delete"].assert_called_once_with(JOB, persist=True)


def test_test_mode_plan_lists_the_deletes_and_a_server_that_cannot_be_backed_up(salt_loader, schedule):
    schedule["schedule.build_schedule_item"] = MagicMock(
        return_value={"function": "instance_backup.backup_many", "cron": "0 2 * * *", "maxrunning": 1}
    )
    schedule["instance_backup.backup_many"].return_value = {
        "servers": [
            {
                "server": {"id": "s1", "name": "db1"},
                "kept": [{"id": "(new)"}, {"id": "b2"}],
                "deleted": [{"id": "b1", "name": "nightly-202401010200-daily"}],
                "error": None,
            },
            {"server": {"id": "s2", "name": None}, "kept": [], "deleted": [], "error": "is ERROR"},
        ]
    }
    state = salt_loader.state("instance_backup", salt=schedule, opts={"test": True, "id": "compute1"})
    ret = state.policy("nightly", **POLICY)
    assert ret["result"] is None
    assert ret["comment"].splitlines()[1:] == [
        "A run now would back up 2 server(s):",
        "  db1: back up, then keep 2 (new one included), delete nightly-202401010200-daily",
        "  s2: not backed up: is ERROR",
    ]
    assert schedule["instance_backup.backup_many"].call_args.kwargs["test"] is True


# ------------------------------------------------------------------ the run's failed deletes
SERVER = {"id": "srv-1", "name": "db1", "status": "ACTIVE", "image": {"id": "base"}, "tenant_id": "p1"}


def _backup(image_id, day):
    when = datetime.datetime(2024, 1, day, 2, 0, tzinfo=datetime.UTC)
    return {
        "id": image_id,
        "name": f"nightly-{when:%Y%m%d%H%M}-daily",
        "status": "active",
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "instance_uuid": SERVER["id"],
        "owner": "p1",
    }


class FakeCloud:
    """Nova and Glance as `stacksalt_openstack.request`/`paged` see them; `refuse` deletes fail."""

    def __init__(self, images, refuse):
        self.images = {i["id"]: i for i in images}
        self.refuse = refuse
        self.deleted = []
        self.compute = type("Proxy", (), {"service_type": "compute"})()
        self.image = type("Proxy", (), {"service_type": "image"})()

    def paged(self, proxy, path, key, params, microversion=None):
        if path == "/servers/detail":
            return [dict(SERVER)]
        return [dict(i) for i in self.images.values()]

    def request(self, proxy, method, url, **kwargs):
        if method == "POST" and url == f"/servers/{SERVER['id']}/action":
            new = _backup("new", 9)
            self.images["new"] = new
            return {"image_id": "new"}
        if method == "DELETE":
            image_id = url.rsplit("/", 1)[1]
            if image_id in self.refuse:
                raise CommandExecutionError(f"HTTP 409: image {image_id} is protected")
            self.deleted.append(image_id)
            del self.images[image_id]
            return None
        raise AssertionError(f"unexpected call {method} {url}")


def test_run_reports_each_failed_delete_and_fails(salt_loader):
    cloud = FakeCloud([_backup("b1", 1), _backup("b2", 2), _backup("b3", 3)], refuse={"b2"})
    utils = dict(
        utils_dunder(),
        **{
            "stacksalt_openstack.salt_connect": lambda salt_funcs, cloud_name: cloud,
            "stacksalt_openstack.request": cloud.request,
            "stacksalt_openstack.paged": cloud.paged,
        },
    )
    context = {}
    module = salt_loader.module(
        "instance_backup", salt={"config.get": MagicMock(return_value={})}, utils=utils, context=context
    )
    report = module.backup_many("nightly", tags=None, servers=["db1"], retention={"daily": 2}, concurrency=2)
    (row,) = report["servers"]
    # kept: the new backup and the newest old one; b1 deleted, b2 refused (left for the next run)
    assert [k["id"] for k in row["kept"]] == ["new", "b3"]
    assert row["deleted"] == [{"id": "b1", "name": "nightly-202401010200-daily"}]
    assert row["delete_failed"] == [
        {"id": "b2", "name": "nightly-202401020200-daily", "error": "HTTP 409: image b2 is protected"}
    ]
    assert row["error"] == "1 old backup(s) could not be deleted; the next run retries"
    assert report["result"] is False
    assert report["summary"]["deleted"] == 1 and report["summary"]["delete_failed"] == 1
    assert report["summary"]["failed_servers"] == 1
    assert context["retcode"] == 1  # a scheduled job or salt-call reports the failure
    assert sorted(cloud.images) == ["b2", "b3", "new"]
