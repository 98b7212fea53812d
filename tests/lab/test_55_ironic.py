"""
The ironic role on ironic1, applied by the lab's highstate: Debian's ironic-api and
ironic-conductor under systemd, the API answering the master over the lab network, the
conductor's hardware types registered, the pillar's nodes enrolled in their provision states,
BMC secrets never in returns or logs, and drift repaired by the enrolment state.
"""

import json
import subprocess

import pytest

from .cloudcli import admin_token
from .conftest import MEASURED

pytestmark = pytest.mark.lab

IRONIC = "ironic1"
HARDWARE_TYPES = {"fake-hardware", "ipmi", "redfish"}
# An HTTP call from the master, as an argument list for testinfra (it quotes each argument);
# Ironic takes Keystone tokens (auth_strategy keystone): the cloud admin's, from the environment.
FETCH = (
    "import json, os, sys, urllib.request as u\n"
    "req = u.Request(sys.argv[1], data=sys.argv[3].encode() if len(sys.argv) > 3 else None,\n"
    "                method=sys.argv[2], headers={'X-OpenStack-Ironic-API-Version': '1.78',\n"
    "                                            'X-Auth-Token': os.environ['OS_TOKEN'],\n"
    "                                            'Content-Type': 'application/json'})\n"
    "body = u.urlopen(req, timeout=10).read()\n"
    "print(json.dumps(json.loads(body) if body else None))\n"
)


@pytest.fixture(scope="module")
def token(hosts, second_apply):
    return admin_token(hosts)


def api(hosts, lab_up, token, path, method="GET", body=None):
    """Ironic's API on ironic1, called from the master over the lab network."""
    url = f"http://{lab_up[IRONIC]['ip']}:6385{path}"
    args = [url, method] + ([json.dumps(body)] if body is not None else [])
    out = hosts["master"].run(
        "env OS_TOKEN=%s python3 -c %s " + " ".join(["%s"] * len(args)), token, FETCH, *args
    )
    assert out.rc == 0, f"{method} {url}: {out.stderr[-2000:]}"
    return json.loads(out.stdout)


def salt_json(hosts, *args):
    out = hosts["master"].run("salt --out json --static -t 300 " + " ".join(["%s"] * len(args)), *args)
    assert out.rc == 0, out.stdout[-3000:] + out.stderr[-2000:]
    return json.loads(out.stdout)


def ironic_returns(apply):
    return {key: ret for key, ret in apply["returns"][IRONIC].items() if "ironic-" in key}


def pillar_nodes(hosts):
    # unmasked: Salt 3008 masks every string of pillar.get output, and ironic:nodes holds no
    # secret (the BMC passwords are ironic:node_secrets, merged in by the formula)
    nodes = salt_json(hosts, IRONIC, "pillar.get", "ironic:nodes", "unmask=True")[IRONIC]
    assert isinstance(nodes, list) and nodes, f"no ironic:nodes in {IRONIC}'s pillar: {nodes}"
    return nodes


def test_first_apply_brings_ironic_up(lab_up, first_apply, timings):
    returns = ironic_returns(first_apply)
    failed = {k: r["comment"] for k, r in returns.items() if r["result"] is not True}
    assert not failed, failed
    ids = {key.split("_|-")[1] for key in returns}
    assert {
        "ironic-install-pkgs-installed",
        "ironic-db-synced",
        "ironic-service-drivers-registered",
        "ironic-nodes-enrolled",
    } <= ids
    by_id = {key.split("_|-")[1]: ret for key, ret in returns.items()}
    timings["ironic1 first apply: apt install"] = by_id["ironic-install-pkgs-installed"]["duration"] / 1000
    timings["ironic1 first apply: whole highstate"] = first_apply["summary"][IRONIC]["seconds"]
    assert by_id["ironic-nodes-enrolled"]["changes"], "the first apply enrolled nothing"


def test_services_run_under_systemd(hosts, second_apply):
    h = hosts[IRONIC]
    for name in ("ironic-api", "ironic-conductor"):
        service = h.service(name)
        assert service.is_running and service.is_enabled, name
        main_pid = h.check_output("systemctl show -p MainPID --value %s", name)
        assert h.check_output("ps -o ppid= -p %s", main_pid).strip() == "1", f"{name}: not a systemd child"
    # the formula's worker count, not Debian's 8 uwsgi processes
    assert "--processes 2" in h.check_output("systemctl show -p ExecStart --value ironic-api")
    conf = h.file("/etc/ironic/ironic.conf")
    assert conf.user == "root" and conf.group == "ironic" and conf.mode == 0o640
    assert "rpc_transport = json-rpc" in conf.content_string


def test_api_answers_the_master(hosts, lab_up, second_apply, token):
    root = api(hosts, lab_up, token, "/")
    assert root["default_version"]["id"] == "v1"
    v1 = api(hosts, lab_up, token, "/v1")
    assert v1["id"] == "v1" and any(link["rel"] == "self" for link in v1["links"])


def test_api_and_json_rpc_refuse_a_caller_without_a_token(hosts, lab_up, second_apply):
    # auth_strategy keystone: the API and the conductor's JSON-RPC port both want a token
    probe = (
        "import sys, urllib.request as u, urllib.error as e\n"
        "try:\n"
        "    u.urlopen(u.Request(sys.argv[1], data=sys.argv[2].encode() or None,\n"
        "              headers={'Content-Type': 'application/json'}), timeout=10)\n"
        "    print('answered')\n"
        "except e.HTTPError as exc:\n"
        "    print(exc.code)\n"
    )
    ip = lab_up[IRONIC]["ip"]
    rpc = json.dumps({"jsonrpc": "2.0", "method": "get_node_with_token", "params": {}, "id": 1})
    for url, body in ((f"http://{ip}:6385/v1/nodes", ""), (f"http://{ip}:8089", rpc)):
        out = hosts["master"].run("python3 -c %s %s %s", probe, url, body)
        assert out.rc == 0, out.stderr
        assert out.stdout.strip() == "401", (url, out.stdout)


def test_conductor_registered_its_hardware_types(hosts, lab_up, second_apply, token):
    drivers = {d["name"]: d for d in api(hosts, lab_up, token, "/v1/drivers")["drivers"]}
    assert set(drivers) == HARDWARE_TYPES
    assert all(d["hosts"] == [IRONIC] for d in drivers.values()), drivers
    conductors = api(hosts, lab_up, token, "/v1/conductors")["conductors"]
    assert [(c["hostname"], c["alive"]) for c in conductors] == [(IRONIC, True)]


def test_pillar_nodes_are_enrolled_in_their_provision_states(hosts, lab_up, second_apply, token):
    wanted = pillar_nodes(hosts)
    live = {
        n["name"]: n
        for n in api(
            hosts,
            lab_up,
            token,
            "/v1/nodes?fields=uuid,name,provision_state,driver,resource_class,"
            "properties,driver_info,last_error",
        )["nodes"]
    }
    assert set(live) == {n["name"] for n in wanted}
    ports = api(hosts, lab_up, token, "/v1/ports?fields=address,node_uuid")["ports"]
    for node in wanted:
        got = live[node["name"]]
        assert got["provision_state"] == node["provision_state"], (node["name"], got)
        assert got["driver"] == node["driver"] and got["last_error"] is None, got
        assert got["resource_class"] == node.get("resource_class"), got
        for key, value in node["properties"].items():
            assert got["properties"][key] == value, (node["name"], key)
        # the BMC password came from the secrets pillar and Ironic masks it on read
        assert got["driver_info"]["ipmi_password"] == "******", node["name"]
        addresses = sorted(p["address"] for p in ports if p["node_uuid"] == got["uuid"])
        assert addresses == sorted(p["address"] for p in node["ports"]), node["name"]


def test_secrets_stay_out_of_returns_and_logs(hosts, first_apply, second_apply):
    for apply in (first_apply, second_apply):
        assert "FAKE-lab-node" not in json.dumps(apply["returns"][IRONIC])
    # logs of both ends, ironic.conf, and the master's job cache (returns, events' loads).
    # Not searched: Ironic's own database, which stores driver_info as Ironic always does.
    for name, paths in ((IRONIC, "/var/log /etc/ironic"), ("master", "/var/log /var/cache/salt/master/jobs")):
        leaked = hosts[name].run(f"grep -rl FAKE-lab-node {paths}")
        assert leaked.rc == 1 and leaked.stdout == "", f"{name}: secret found in: {leaked.stdout}"


def test_second_apply_changes_nothing_on_ironic1(second_apply):
    returns = ironic_returns(second_apply)
    assert returns, "the ironic role did not run on ironic1"
    changed = {k: r["changes"] for k, r in returns.items() if r["changes"]}
    assert not changed, changed
    assert all(r["result"] is True for r in returns.values())


def test_enrolment_state_repairs_drift(hosts, lab_up, second_apply, token):
    """A property edited behind Salt's back and a removed port come back with ironic.nodes."""
    node = api(hosts, lab_up, token, "/v1/nodes/lab-node3?fields=uuid,properties")
    api(
        hosts,
        lab_up,
        token,
        "/v1/nodes/lab-node3",
        "PATCH",
        [{"op": "replace", "path": "/properties/cpus", "value": 99}],
    )
    (port,) = api(hosts, lab_up, token, f"/v1/ports?node_uuid={node['uuid']}&fields=uuid")["ports"]
    url = f"http://{lab_up[IRONIC]['ip']}:6385/v1/ports/{port['uuid']}"
    deleted = hosts["master"].run(
        "python3 -c %s %s %s",
        "import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], method='DELETE', "
        "headers={'X-OpenStack-Ironic-API-Version': '1.78', 'X-Auth-Token': sys.argv[2]}), timeout=10)",
        url,
        token,
    )
    assert deleted.rc == 0, deleted.stderr

    ret = salt_json(hosts, IRONIC, "state.apply", "ironic.nodes")[IRONIC]
    (enrolled,) = [r for k, r in ret.items() if "ironic-nodes-enrolled" in k]
    assert enrolled["result"] is True, enrolled["comment"]
    assert enrolled["changes"], "the drift was not seen"
    assert "FAKE-lab-node" not in json.dumps(ret)
    assert api(hosts, lab_up, token, "/v1/nodes/lab-node3?fields=properties")["properties"]["cpus"] == 2
    ports = api(hosts, lab_up, token, f"/v1/ports?node_uuid={node['uuid']}&fields=address")["ports"]
    assert [p["address"] for p in ports] == ["52:54:00:1a:b0:03"]

    again = salt_json(hosts, IRONIC, "state.apply", "ironic.nodes")[IRONIC]
    assert not any(r["changes"] for r in again.values()), again
    MEASURED["ironic1 ironic.nodes repairing drift"] = enrolled["duration"] / 1000


# ---- Ironic's database on the site cloud's MariaDB (controller1), made by controller1's highstate

CLOUD = "controller1"


def cloud_sql(hosts, query):
    """SQL through the real mariadb client on the cloud host, as its admin (root on loopback)."""
    out = hosts[CLOUD].run(
        "mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -u root --batch --skip-column-names -e %s", query
    )
    assert out.rc == 0, out.stderr[-2000:]
    return out.stdout.split("\n")


def test_ironic_tables_live_in_the_clouds_mariadb(hosts, second_apply):
    tables = set(
        cloud_sql(hosts, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'ironic'")
    )
    assert {"alembic_version", "nodes", "ports", "conductors"} <= tables, sorted(tables)
    # the enrolled nodes are rows of that database
    names = set(cloud_sql(hosts, "SELECT name FROM ironic.nodes"))
    assert {"lab-node1", "lab-node2", "lab-node3"} <= names, sorted(names)
    # the user the mariadb formula made: its own database only, from the network
    grants = "\n".join(cloud_sql(hosts, "SHOW GRANTS FOR `ironic`@`%`"))
    assert "GRANT ALL PRIVILEGES ON `ironic`.* TO `ironic`@`%`" in grants
    # root stays loopback-only: no root account for another address (name-based accounts, such
    # as the build host's name the stand-in's data dir was made on, never match: skip-name-resolve)
    roots = set(cloud_sql(hosts, "SELECT Host FROM mysql.user WHERE User = 'root'")) - {""}
    assert not {h for h in roots if h not in ("127.0.0.1", "::1") and any(c in h for c in "%.:")}, roots
    # ironic1's [database] is that server at the cloud host's address (checked without printing
    # the line: it holds the password)
    conf = hosts[IRONIC].run(
        "awk '/^\\[database\\]/{s=1; next} /^\\[/{s=0} s && /^connection/' /etc/ironic/ironic.conf"
    )
    address = hosts[CLOUD].run("getent hosts %s", CLOUD).stdout.split()[0]
    line = conf.stdout.strip()
    facts = {
        "read": conf.rc == 0,
        "mariadb": line.startswith("connection = mysql+pymysql://ironic:"),
        "not sqlite": "sqlite" not in line,
        "at the cloud host": f"@{address}:3306/ironic?" in line,
    }
    assert all(facts.values()), facts


def test_mariadb_states_converged_on_the_cloud_host(second_apply):
    returns = {k: r for k, r in second_apply["returns"][CLOUD].items() if "mariadb" in k}
    assert any("mariadb-users-ironic-present" in k for k in returns), sorted(returns)
    assert {k: r["changes"] for k, r in returns.items() if r["changes"]} == {}
    assert all(r["result"] is True for r in returns.values())


def test_database_password_only_in_the_two_hosts_pillar(hosts, second_apply):
    import pathlib

    import yaml

    repo = pathlib.Path(__file__).resolve().parents[2]
    password = yaml.safe_load((repo / "pillar/secrets/ironic1.sls").read_text())["ironic"][
        "database_password"
    ]
    # each minion's own pillar through salt-call on it, its return kept off the master (a
    # `salt '*' pillar.items` would store every host's unmasked pillar in the master's job cache)
    holders = set()
    for name in hosts:
        if name in ("edge1",):
            continue
        out = subprocess.run(
            # --no-return-event: salt-call sends its return to the master's job cache otherwise
            ["podman", "exec", name, "salt-call", "--no-return-event", "--out", "json", "pillar.items", "unmask=True"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert out.returncode == 0, name
        if password in out.stdout:
            holders.add(name)
    assert holders == {IRONIC, CLOUD}, holders
    # and never in a return of the applies
    for apply in (second_apply,):
        assert password not in json.dumps(apply["returns"])
