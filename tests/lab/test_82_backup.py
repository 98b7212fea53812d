"""
Backups in the site: the master's schedule holds the cloud-admin policy `nightly`
(`openstack:backups`, salt/openstack/backups), `lab/lab backup` runs that scheduled job now and
restores the virtual instance from its latest backup by rebuild. Before the run, this module
gives the instance a history of older backups, real Glance images with the properties Nova
gives backups, so that the retention the policy names ({daily: 3, weekly: 2}) has something to
delete. The checks use the real `openstack` CLI on controller1, not our modules.
"""

import datetime
import json

import pytest
import yaml

from .cloudcli import cli, sdk
from .conftest import REPO, lab

pytestmark = pytest.mark.lab

SERVER = "lab-virtual-1"
POLICY = yaml.safe_load((REPO / "pillar/roles/cloud-admin.sls").read_text())["openstack"]["backups"][
    "nightly"
]
# Days back (UTC, at 02:00) of the history given to the server before the run.
HISTORY_DAYS = (1, 2, 3, 4, 9, 16, 23)

SEED = (
    "import io, json, sys, openstack\n"
    "conn = openstack.connect(cloud='admin')\n"
    "server = conn.compute.get_server(conn.compute.find_server(sys.argv[1], ignore_missing=False))\n"
    "made = []\n"
    "for name in json.loads(sys.argv[2]):\n"
    "    image = conn.image.find_image(name, ignore_missing=True) or conn.image.create_image(\n"
    "        name=name, disk_format='raw', container_format='bare', data=io.BytesIO(b'\\1' * 1024),\n"
    "        properties={'image_type': 'backup', 'backup_type': 'daily', 'instance_uuid': server.id})\n"
    "    made.append(conn.image.wait_for_status(image, status='active', interval=0.5, wait=120).id)\n"
    "print(json.dumps({'server': server.id, 'project': server.project_id, 'images': made}))\n"
)


def stamp(when):
    return when.strftime("%Y%m%d%H%M")


@pytest.fixture(scope="module")
def history(hosts, second_apply):
    # the virtual instance of lab/lab boot (found when test_80 made it already)
    rc, out, err, _ = lab("boot", check=False, timeout=900)
    assert rc == 0, f"lab boot failed\n{out[-2000:]}\n{err[-3000:]}"
    today = datetime.datetime.now(datetime.UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    names = {f"nightly-{stamp(today - datetime.timedelta(days=d))}-daily": today - datetime.timedelta(days=d)
             for d in HISTORY_DAYS}  # fmt: skip
    seeded = sdk(hosts, SEED, SERVER, json.dumps(sorted(names)))
    return {"names": names, **seeded}


@pytest.fixture(scope="module")
def backed_up(history):
    rc, out, err, seconds = lab("backup", check=False, timeout=1200)
    assert rc == 0, f"lab backup failed ({rc}) after {seconds:.0f} s\n{out[-3000:]}\n{err[-3000:]}"
    return {"stdout": out, "stderr": err, "seconds": seconds}


def backups(hosts, server_id):
    images = cli(hosts, "image", "list", "--long", "--property", f"instance_uuid={server_id}")
    return {i["Name"]: i for i in images if i["Name"].startswith("nightly-")}


def expected_kept(taken):
    """{name: taken} kept by {daily: D, weekly: W}: the newest of each of the D most recent days
    and of the W most recent ISO weeks that have a backup (docs/instance-backup.md), worked
    out here on its own."""
    newest = sorted(taken.items(), key=lambda kv: kv[1], reverse=True)
    kept = set()
    for rule, period in (("daily", lambda t: t.date()), ("weekly", lambda t: t.isocalendar()[:2])):
        seen = []
        for name, when in newest:
            if period(when) not in seen:
                seen.append(period(when))
                if len(seen) <= POLICY["retention"][rule]:
                    kept.add(name)
    return kept


def test_the_policy_is_a_job_in_the_masters_schedule(hosts, second_apply):
    out = hosts["master"].run("salt-call --out json schedule.list show_all=True return_yaml=False")
    assert out.rc == 0, out.stderr
    job = json.loads(out.stdout)["local"]["instance_backup-nightly"]
    assert job["function"] == "instance_backup.backup_many", job
    assert job["cron"] == POLICY["schedule"]["cron"] and job["maxrunning"] == 1, job
    assert job["kwargs"]["servers"] == POLICY["servers"], job["kwargs"]
    assert job["kwargs"]["retention"] == POLICY["retention"], job["kwargs"]


def test_the_run_made_a_backup_of_the_server_owned_by_its_project(hosts, history, backed_up):
    found = backups(hosts, history["server"])
    new = sorted(set(found) - set(history["names"]))
    assert len(new) == 1, (new, sorted(found))
    image = cli(hosts, "image", "show", new[0])
    assert image["status"] == "active", image
    assert image["owner"] == history["project"], image
    props = image["properties"]
    assert (props["image_type"], props["backup_type"], props["instance_uuid"]) == (
        "backup", POLICY["backup_type"], history["server"]
    ), props  # fmt: skip
    assert f"{SERVER}: {new[0]} (active)" in backed_up["stderr"] + backed_up["stdout"]


def test_retention_kept_exactly_what_the_policy_says(hosts, history, backed_up):
    found = backups(hosts, history["server"])
    (new,) = set(found) - set(history["names"])
    taken = dict(history["names"])
    taken[new] = datetime.datetime.strptime(new.split("-")[1], "%Y%m%d%H%M").replace(tzinfo=datetime.UTC)
    kept = expected_kept(taken)
    assert set(found) == kept, {"kept": sorted(found), "expected": sorted(kept)}
    assert len(kept) < len(taken), "the history gave retention nothing to delete"


def test_the_server_was_restored_from_its_latest_backup(hosts, history, backed_up):
    found = backups(hosts, history["server"])
    (new,) = set(found) - set(history["names"])
    server = cli(hosts, "server", "show", SERVER)
    assert server["status"] == "ACTIVE", server
    assert server["image"].startswith(f"{new} "), server["image"]
    assert server["id"] == history["server"], "a rebuild keeps the server"
    assert f"{SERVER} restored from {new} by rebuild: ACTIVE" in backed_up["stderr"] + backed_up["stdout"]
