"""
No secret in any rendered state: the whole highstate of each secret-holding demo host, rendered
by Salt's real compilers (no daemons) with the repository's own pillar and top files, holds no
value of pillar/secrets/*.sls. The fast twin of the lab's canary check
(tests/lab/test_75_secret_canaries.py): states read secrets from pillar by path on the minion,
so `state.show_highstate` (and the minion's state cache) never carries one.
"""

import json
import pathlib

import pytest
from saltfactories.utils.functional import Loaders

from tests.support import hostile
from tests.support.loaders import loader_opts

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
SECRET_HOLDERS = ("master", "ironic1", "ceph1", "compute1")
# A state each host's highstate must hold, so an empty or partial render cannot pass.
EXPECTED = {
    "master": "salt-pillar-schema-validated",
    "ironic1": "ironic-pillar-schema-validated",
    "ceph1": "ceph-keyrings-client-glance-present",
    "compute1": "ceph-pillar-schema-validated",
}


@pytest.fixture(scope="module")
def canaries():
    return hostile.secret_values(REPO)


def host_loaders(tmp_path, host, extra=None):
    """Loaders for minion `host`: the shipped pillar and the state top file beside the formulas."""
    opts = loader_opts(tmp_path / host, host, pillar_roots=[REPO / "pillar"], extra=extra)
    # The master serves top.sls from a root of its own (salt.master.fileserver), not from salt/.
    view = tmp_path / host / "view"
    view.mkdir()
    (view / "top.sls").symlink_to(REPO / "top.sls")
    opts["file_roots"] = {"base": [str(REPO / "salt"), str(view)]}
    opts["grains"] = {"host": host}
    return Loaders(opts)


def leaking_states(states, canaries):
    """{state id: [secrets files whose values it holds]}."""
    found = {}
    for sid, body in states.items():
        hits = hostile.leaks(json.dumps(body, default=str), canaries)
        if hits:
            found[sid] = hits
    return found


def state_args(entries):
    """A rendered state's arguments ({name: value}); the function name is the one plain string."""
    return {k: v for arg in entries if isinstance(arg, dict) for k, v in arg.items()}


@pytest.mark.parametrize("host", SECRET_HOLDERS)
def test_rendered_highstate_holds_no_secret(tmp_path, canaries, host):
    loaders = host_loaders(tmp_path, host)
    try:
        # The host's pillar holds secrets, so a render that passed them on would be caught.
        assert hostile.leaks(json.dumps(loaders.pillar, default=str), canaries), "no secret in pillar"
        states = loaders.modules.state.show_highstate()
    finally:
        loaders.reset_state()
    assert isinstance(states, dict), states
    assert EXPECTED[host] in states, sorted(states)
    assert leaking_states(states, canaries) == {}


def test_under_salt_ssh_validation_still_gets_the_data_inline(tmp_path, canaries):
    # salt-ssh renders on the master, and the target's custom modules see no pillar: there (and
    # only there, `__master_opts__` in the render's opts) the data is passed as an argument.
    loaders = host_loaders(tmp_path, "ceph1", extra={"__master_opts__": {"id": "master"}})
    try:
        ssh = loaders.modules.state.show_sls("ceph.validate")
    finally:
        loaders.reset_state()
    minion = host_loaders(tmp_path, "compute1")
    try:
        plain = minion.modules.state.show_sls("ceph.validate")
    finally:
        minion.reset_state()
    args = state_args(ssh["ceph-pillar-schema-validated"]["pillar_schema"])
    assert args["data"]["keys"]["clients"]["glance"], "salt-ssh render lost the data"
    plain_args = state_args(plain["ceph-pillar-schema-validated"]["pillar_schema"])
    assert "data" not in plain_args and "schema" in plain_args


# Secret-bearing keys the demo pillar leaves unset (a database URL, SNMP and IPMI Kg keys, a
# cloud password): planted as canaries on top of the host's pillar.
PLANTED = {
    "ironic1": {
        "ironic": {
            "database": {"connection": "mysql+pymysql://ironic:FAKE-canary-db-pw@db.lab/ironic"},
            "node_secrets": {
                "lab-node1": {
                    "ipmi_password": "FAKE-canary-ipmi-pw",
                    "ipmi_hex_kg_key": "FAKE-canary-kg-key",
                    "snmp_community": "FAKE-canary-community",
                }
            },
        }
    },
    "master": {"openstack": {"clouds": {"demo": {"auth": {"password": "FAKE-canary-cloud-pw"}}}}},
}


@pytest.mark.parametrize("host", sorted(PLANTED))
def test_planted_secrets_of_unset_keys_stay_out_of_the_render(tmp_path, host):
    planted = {value: "planted" for value in hostile._leaves(PLANTED[host])}
    loaders = host_loaders(tmp_path, host)
    try:
        states = loaders.modules.state.show_highstate(pillar=PLANTED[host])
        rendered_pillar = loaders.modules.pillar.items(pillar=PLANTED[host], unmask=True)
    finally:
        loaders.reset_state()
    assert isinstance(states, dict) and EXPECTED[host] in states, states
    # every canary reached the pillar the render saw
    seen = json.dumps(rendered_pillar, default=str)
    assert [value for value in planted if value not in seen] == []
    assert leaking_states(states, planted) == {}
