"""
The ceph formula on the lab's ceph1..3 (mon + mgr + OSD on ceph1, an OSD on ceph2 and ceph3)
and compute1 (a client.nova host), converged by the same `salt '*' state.apply` as every
other host: a healthy three-OSD cluster, the site's pools, least-privilege cephx clients, and
keys only where a host's roles need them.
"""

import json
import time

import pytest

pytestmark = pytest.mark.lab

CEPH = "ceph --connect-timeout 20"
POOLS = {"images": 32, "volumes": 32, "vms": 32, "backups": 16}
HEALTH_WAIT = 180  # seconds: PGs of freshly made pools peer within a minute here


def ceph_json(host, *args):
    return json.loads(host.check_output(f"{CEPH} {' '.join(args)} -f json"))


@pytest.fixture(scope="module")
def status(hosts, second_apply, timings):
    """`ceph -s` once the cluster has settled (bounded poll; the last status is returned)."""
    start = time.monotonic()
    while True:
        status = ceph_json(hosts["ceph1"], "status")
        if status["health"]["status"] == "HEALTH_OK" or time.monotonic() - start > HEALTH_WAIT:
            timings["ceph HEALTH_OK after second apply"] = time.monotonic() - start
            return status
        time.sleep(3)


def test_cluster_is_healthy_with_every_osd_up(status):
    health = status["health"]
    assert health["status"] == "HEALTH_OK", json.dumps(health.get("checks"), indent=1)
    assert status["monmap"]["num_mons"] == 1
    osdmap = status["osdmap"]
    assert (osdmap["num_osds"], osdmap["num_up_osds"], osdmap["num_in_osds"]) == (3, 3, 3)
    assert status["mgrmap"]["available"] is True
    pgs = status["pgmap"]
    assert pgs["num_pgs"] > 0
    assert [s for s in pgs["pgs_by_state"] if s["state_name"] != "active+clean"] == []


def test_each_osd_lives_on_its_own_host(hosts, status):
    tree = ceph_json(hosts["ceph1"], "osd", "tree")
    placed = {n["name"]: n["children"] for n in tree["nodes"] if n["type"] == "host"}
    assert sorted(placed) == ["ceph1", "ceph2", "ceph3"]
    assert all(len(children) == 1 for children in placed.values()), placed
    for name in ("ceph1", "ceph2", "ceph3"):
        units = hosts[name].check_output(
            "systemctl list-units --state=running --plain --no-legend 'ceph-osd@*'"
        )
        assert units.count("ceph-osd@") == 1, (name, units)


def test_site_pools_exist_with_size_application_and_rbd_init(hosts, status):
    ceph1 = hosts["ceph1"]
    pools = {p["pool_name"]: p for p in ceph_json(ceph1, "osd", "pool", "ls", "detail")}
    for name, pg_num in POOLS.items():
        assert name in pools, sorted(pools)
        assert pools[name]["size"] == 3 and pools[name]["min_size"] == 2, pools[name]
        assert pools[name]["pg_num"] == pg_num
        assert "rbd" in pools[name]["application_metadata"]
        assert ceph1.run(f"rados --pool {name} stat rbd_info").rc == 0, f"{name} not rbd-initialised"


def test_cephx_clients_have_least_privilege_caps(hosts, status):
    caps = {e["entity"]: e["caps"] for e in ceph_json(hosts["ceph1"], "auth", "ls")["auth_dump"]}
    assert caps["client.glance"]["osd"] == "profile rbd pool=images"
    assert caps["client.nova"]["osd"] == "profile rbd pool=vms, profile rbd-read-only pool=images"
    assert caps["client.cinder"]["mon"] == "profile rbd"


def test_keys_reach_only_the_hosts_whose_roles_need_them(hosts, status):
    # the monitor holds the admin keyring; OSD-only hosts and the compute host do not
    assert hosts["ceph1"].file("/etc/ceph/ceph.client.admin.keyring").mode == 0o600
    for name in ("ceph2", "ceph3", "compute1"):
        assert not hosts[name].file("/etc/ceph/ceph.client.admin.keyring").exists, name
        assert not hosts[name].file("/etc/ceph/ceph.client.glance.keyring").exists, name
    nova = hosts["compute1"].file("/etc/ceph/ceph.client.nova.keyring")
    assert nova.exists and nova.mode == 0o640
    # nor can any of them ask the master for a key it was not given
    master = hosts["master"]
    out = json.loads(
        master.check_output(
            "salt -L ceph2,ceph3,compute1 pillar.get ceph:keys:clients:glance unmask=True --out json --static"
        )
    )
    assert out == {"ceph2": "", "ceph3": "", "compute1": ""}


def test_compute_host_uses_its_cephx_identity_within_its_caps(hosts, status):
    compute1 = hosts["compute1"]
    rbd = "timeout 60 rbd --id nova"
    # read-write on vms
    assert compute1.run(f"{rbd} create --size 8 vms/lab-probe").rc == 0
    try:
        assert "lab-probe" in compute1.check_output(f"{rbd} ls vms")
        # read-only on images: listing works, writing is refused by the cluster
        assert compute1.run(f"{rbd} ls images").rc == 0
        denied = compute1.run(f"{rbd} create --size 8 images/lab-probe")
        assert denied.rc != 0 and "not permitted" in (denied.stderr + denied.stdout).lower()
    finally:
        compute1.run(f"{rbd} rm vms/lab-probe")
