"""
Benchmark P4: one backup run over ``STACKSALT_BENCH_BACKUP_SERVERS`` servers (50) that already
have ``STACKSALT_BENCH_BACKUP_EXISTING`` backups (1000, as many per server), against the real
Nova (fake virt driver, snapshots uploaded to Glance), two ways, same rotation (keep 20 each):

- ``stacksalt``: ``instance_backup.backup_many`` through Salt's loader, as the scheduled job runs
  it (a fresh connection, as in a new job process): one server list, concurrent createBackup,
  one image-list poll per tick, one list of every backup, concurrent deletes;
- ``script``: the operators' 2017 per-server script (backup_2017.py) started once per server,
  one after the other, as a cron wrapper does: its own token, createBackup with the rotation,
  Nova rotates server-side.

A run is over when every server has its new backup active and its oldest one deleted (the
script returns at once: an observer polls Glance until then; its own requests are subtracted).
Requests are counted twice: as the client sends them (a response hook on the keystoneauth
session; the script counts its own) and as the services receive them (uWSGI access logs of
Keystone, Glance, Nova, Neutron and Placement: Nova's own Glance calls for its rotation and
Keystone's token validations included). Ratios are script / stacksalt. Timings are reported,
never asserted. Results: ``$TMPDIR/bench-backup-p4.json``.

Run: ``tools/run-tests tests/bench/backup -s`` (which sets the suite's sizes, 10 servers and
200 backups; full size: ``STACKSALT_BENCH_BACKUP_SERVERS=50 STACKSALT_BENCH_BACKUP_EXISTING=1000
tools/run-tests ...``)
"""

import concurrent.futures
import datetime
import io
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile
import time

import openstack.exceptions
import pytest
import yaml

from tests.support.loaders import loader_opts

pytestmark = [pytest.mark.bench, pytest.mark.timeout(1800)]

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
SERVERS = int(os.environ.get("STACKSALT_BENCH_BACKUP_SERVERS", "50"))
EXISTING = int(os.environ.get("STACKSALT_BENCH_BACKUP_EXISTING", "1000"))
KEEP = EXISTING // SERVERS
#: createBackup calls in flight at once (instance_backup's default). The stack runs on MariaDB
#: (openstack-svc --compute): on SQLite, Nova answers concurrent snapshots with HTTP 500.
CONCURRENCY = int(os.environ.get("STACKSALT_BENCH_BACKUP_CONCURRENCY", "8"))
#: Setup only (boots, seeded backups): requests in flight at once.
SETUP_CONCURRENCY = 8
NAME = "p4"
ACCESS_LINE = re.compile(r"\] (GET|POST|PUT|PATCH|DELETE|HEAD) ")
SERVICES = ("keystone", "glance", "nova", "neutron", "placement")


class Counter:
    """Counts the HTTP responses of one keystoneauth session (a requests response hook)."""

    def __init__(self, conn):
        self.count = 0
        conn.session.session.hooks.setdefault("response", []).append(self._hook)

    def _hook(self, resp, *args, **kwargs):
        self.count += 1


def service_requests(workdir):
    """Requests each service has answered so far, from its uWSGI access log."""
    counts = {}
    for svc in SERVICES:
        log = pathlib.Path(workdir) / "log" / f"{svc}.out"
        counts[svc] = (
            sum(1 for line in log.open(errors="replace") if ACCESS_LINE.search(line)) if log.exists() else 0
        )
    return counts


def delta(after, before):
    return {k: after[k] - before.get(k, 0) for k in after}


@pytest.fixture(scope="module")
def stack():
    """
    A stack of the bench's own (openstack-svc start --compute): the measured runs see only the
    bench's servers and images, whatever the functional tier left in its stack.
    """
    base = pathlib.Path(os.environ.get("TMPDIR") or tempfile.gettempdir())
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-backup-openstack-", dir=base))
    svc = REPO / "lab" / "services" / "openstack" / "openstack-svc"
    try:
        proc = subprocess.run(  # noqa: S603
            [str(svc), "start", str(workdir), "--compute", "--db", "mariadb"],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert proc.returncode == 0, f"openstack-svc start --compute failed:\n{proc.stderr[-4000:]}"
        env = {}
        for line in (workdir / "env").read_text().splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export ") :].partition("=")
                env[key] = shlex.split(value)[0] if value else ""
        yield {"dir": str(workdir), "clouds_yaml": env["OS_CLIENT_CONFIG_FILE"]}
    finally:
        subprocess.run([str(svc), "stop", str(workdir)], timeout=120, check=False)  # noqa: S603


@pytest.fixture(scope="module")
def admin_cloud(stack):
    with open(stack["clouds_yaml"]) as fh:
        return yaml.safe_load(fh)["clouds"]["admin"]


@pytest.fixture(scope="module")
def sdk(admin_cloud):
    import openstack

    return openstack.connect(load_yaml_config=False, load_envvars=False, **admin_cloud)


@pytest.fixture(scope="module")
def loaders(tmp_path_factory, admin_cloud):
    from saltfactories.utils.functional import Loaders

    root = tmp_path_factory.mktemp("bench-backup") / "salt"
    opts = loader_opts(
        root, "bench-backup", extra={"openstack": {"cloud": "bench", "clouds": {"bench": admin_cloud}}}
    )
    return Loaders(opts)


@pytest.fixture(scope="module")
def fleet(sdk):
    """SERVERS active servers (metadata backup=p4), each with KEEP active backups (1 KiB each)."""
    image = sdk.image.create_image(
        name="p4-base", disk_format="raw", container_format="bare", data=io.BytesIO(b"\0" * 1024)
    )
    sdk.image.wait_for_status(image, status="active", interval=0.2, wait=60)
    flavor = sdk.compute.create_flavor(name="p4", ram=64, vcpus=1, disk=1)
    sdk.compute.update_quota_set(sdk.current_project_id, instances=-1, cores=-1, ram=-1)
    started = time.monotonic()

    def boot(i, attempts=3):
        for attempt in range(1, attempts + 1):
            server = sdk.compute.create_server(
                name=f"p4-{i:03d}",
                image_id=image.id,
                flavor_id=flavor.id,
                networks="none",
                metadata={"backup": NAME},
            )
            try:
                return sdk.compute.wait_for_server(server, interval=0.5, wait=300)
            except (openstack.exceptions.ResourceFailure, openstack.exceptions.ResourceTimeout):
                # A build that failed (ERROR, or stuck in BUILD) is replaced: setup, not measured.
                sdk.compute.delete_server(server, ignore_missing=True)
                if attempt == attempts:
                    raise
        return None

    with concurrent.futures.ThreadPoolExecutor(SETUP_CONCURRENCY) as pool:
        servers = list(pool.map(boot, range(SERVERS)))
    ids = sorted(s.id for s in servers)
    boot_seconds = time.monotonic() - started

    def seed(server_id, day):
        when = datetime.datetime(2025, 1, 1, 2, 0, tzinfo=datetime.UTC) + datetime.timedelta(days=day)
        return sdk.image.create_image(
            name=f"{NAME}-{when:%Y%m%d%H%M}-daily",
            disk_format="raw",
            container_format="bare",
            properties={"image_type": "backup", "backup_type": "daily", "instance_uuid": server_id},
            data=io.BytesIO(b"\1" * 1024),
            allow_duplicates=True,  # every server's backups share these names
        ).id

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(SETUP_CONCURRENCY) as pool:
        list(pool.map(lambda job: seed(*job), [(sid, day) for sid in ids for day in range(KEEP)]))
    seed_seconds = time.monotonic() - started
    return {"ids": ids, "boot_seconds": round(boot_seconds, 1), "seed_seconds": round(seed_seconds, 1)}


def backups(sdk):
    """Every p4 backup image (id, name, status, instance_uuid), from Glance, paged."""
    out, params = [], {"image_type": "backup", "limit": 1000}
    while True:
        data = sdk.image.get("/images", params=params).json()
        out.extend(i for i in data["images"] if i["name"].startswith(f"{NAME}-"))
        if not data.get("next"):
            return out
        params = dict(params, marker=data["images"][-1]["id"])


def settled(images, before_ids, server_ids):
    """Each server has KEEP active backups, among them one made by this run."""
    per = {sid: [] for sid in server_ids}
    for image in images:
        if image.get("instance_uuid") in per:
            per[image["instance_uuid"]].append(image)
    return all(
        len(rows) == KEEP
        and all(r["status"] == "active" for r in rows)
        and any(r["id"] not in before_ids for r in rows)
        for rows in per.values()
    )


def run_stacksalt(loaders, admin_cloud, stack):
    loaders.utils["stacksalt_openstack.reset"]()  # a new job process: new token, new discovery
    conn = loaders.utils["stacksalt_openstack.connect"](
        cloud="bench",
        config={"cloud": "bench", "clouds": {"bench": admin_cloud}},
    )
    counter = Counter(conn)
    svc_before = service_requests(stack["dir"])
    started = time.monotonic()
    report = loaders.modules.instance_backup.backup_many(
        NAME,
        metadata={"backup": NAME},
        rotation=KEEP,
        concurrency=CONCURRENCY,
        wait_timeout=300,
        cloud="bench",
    )
    seconds = time.monotonic() - started
    time.sleep(1.0)  # let the access logs catch up
    errors = sorted({r["error"] for r in report["servers"] if r["error"]})
    assert report["result"] is True, (report["summary"], errors[:5])
    assert report["summary"]["created"] == SERVERS and report["summary"]["deleted"] == SERVERS, report[
        "summary"
    ]
    services = delta(service_requests(stack["dir"]), svc_before)
    return {
        "seconds": round(seconds, 2),
        "phase_seconds": report["summary"]["phase_seconds"],
        "client_requests": counter.count,
        "service_requests": services,
        "service_total": sum(services.values()),
    }


def run_script(sdk, admin_cloud, stack, server_ids):
    auth = admin_cloud["auth"]
    env = dict(
        os.environ,
        OS_AUTH_URL=auth["auth_url"],
        OS_USERNAME=auth["username"],
        OS_PASSWORD=auth["password"],
        OS_PROJECT_NAME=auth["project_name"],
        OS_USER_DOMAIN_NAME=auth.get("user_domain_name", "Default"),
        OS_PROJECT_DOMAIN_NAME=auth.get("project_domain_name", "Default"),
    )
    before_ids = {i["id"] for i in backups(sdk)}
    observer = Counter(sdk)
    observer.count = 0
    svc_before = service_requests(stack["dir"])
    started = time.monotonic()
    client = 0
    for server_id in server_ids:
        proc = subprocess.run(  # noqa: S603
            [sys.executable, str(HERE / "backup_2017.py"), server_id, NAME, "daily", str(KEEP)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        client += json.loads(proc.stdout)["requests"]
    scripts_seconds = time.monotonic() - started
    deadline = time.monotonic() + 900
    while not settled(backups(sdk), before_ids, server_ids):
        assert time.monotonic() < deadline, "Nova did not finish the script's backups and rotation"
        time.sleep(0.5)
    seconds = time.monotonic() - started
    time.sleep(1.0)
    services = delta(service_requests(stack["dir"]), svc_before)
    # The observer's polls are the bench's, not the script approach's: subtract them from Glance
    # (and the token it may have fetched from Keystone).
    services["glance"] -= observer.count
    return {
        "seconds": round(seconds, 2),
        "scripts_seconds": round(scripts_seconds, 2),
        "client_requests": client,
        "service_requests": services,
        "service_total": sum(services.values()),
        "observer_requests": observer.count,
    }


def test_p4_backup_run(stack, sdk, admin_cloud, loaders, fleet):
    ids = fleet["ids"]
    assert len(ids) == SERVERS
    assert len(backups(sdk)) == EXISTING
    results = {
        "servers": SERVERS,
        "existing_backups": EXISTING,
        "rotation": KEEP,
        "concurrency": CONCURRENCY,
        "setup": fleet,
    }
    before = {i["id"] for i in backups(sdk)}
    results["stacksalt"] = run_stacksalt(loaders, admin_cloud, stack)
    after = backups(sdk)
    assert len(after) == EXISTING and sum(1 for i in after if i["id"] not in before) == SERVERS
    assert settled(after, before, ids)

    results["script"] = run_script(sdk, admin_cloud, stack, ids)
    final = backups(sdk)
    assert len(final) == EXISTING

    ours, theirs = results["stacksalt"], results["script"]
    results["ratios_script_over_stacksalt"] = {
        "wall_time": round(theirs["seconds"] / ours["seconds"], 2),
        "service_requests": round(theirs["service_total"] / ours["service_total"], 2),
        "client_requests": round(theirs["client_requests"] / ours["client_requests"], 2),
    }
    out = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "bench-backup-p4.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nP4 backup run: {json.dumps(results, indent=1)}")
