"""The nova formula (a nova-compute joined to the site's cloud): pillar.example matches
schema.yaml, bad pillars are caught, and the formula renders (salt-call --local
state.show_sls) with its passwords only in nova.conf, never in a state's arguments."""

import json
import pathlib

import jsonschema
import pytest
import yaml

from tests.support import formula

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
FORMULA = REPO / "salt" / "nova"


def schema():
    return yaml.safe_load((FORMULA / "schema.yaml").read_text())


def example():
    return yaml.safe_load((FORMULA / "pillar.example").read_text())


def with_urls(pillar):
    """The example with plain addresses (a local render has no Salt mine)."""
    pillar["nova"]["messaging"]["host"] = "10.0.0.12"
    pillar["nova"]["keystone"]["auth_url"] = "http://10.0.0.12:5000/v3"
    return pillar


@pytest.mark.parametrize(
    "patch",
    [
        {"config": {"DEFAULT": {"transport_url": "rabbit://u:p@h"}}},
        {"config": {"placement": {"password": "x"}}},
        {"compute": {"driver": "libvirt"}},
        {"compute": {"fake_driver": "uploading_fake"}},
        {"compute": {"fake_driver": "fake.FakeDriver; rm -rf /"}},
        {"messaging": {"host": "a b"}},
        {"keystone_password": "short"},
        {"lookup": {"install": {"method": "pip"}}},
    ],
)
def test_bad_pillars_are_rejected(patch):
    data = dict(example()["nova"], **patch)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema())


def test_passwords_are_required():
    data = example()["nova"]
    data.pop("messaging_password")
    with pytest.raises(jsonschema.ValidationError, match="messaging_password"):
        jsonschema.validate(data, schema())


def test_ironic_compute_renders_with_passwords_only_in_the_file(tmp_path):
    pillar = with_urls(example())
    pillar["nova"]["keystone_password"] = "FAKE-ks-pa$$-canary"
    pillar["nova"]["messaging_password"] = "FAKE-mq/pw@canary"
    states = formula.show_sls(tmp_path, yaml.safe_dump(pillar), "nova")
    assert "FAKE-" not in json.dumps(states), "a password reached a state's arguments"
    assert "nova-config-addresses-resolved" not in states
    venv = formula.state_args(states, "nova-install-venv-present")
    assert venv["name"] == "/opt/nova/bin/nova-compute"
    unit_args = formula.state_args(states, "nova-service-unit-managed", "file")
    unit = formula.render_template("nova", "nova-compute.service.jinja", unit_args["context"], pillar)
    # through the venv's python: a venv mounted elsewhere than it was built keeps working
    assert (
        "ExecStart=/opt/nova/bin/python /opt/nova/bin/nova-compute --config-file /etc/nova/nova.conf" in unit
    )
    conf_args = formula.state_args(states, "nova-config-file-managed")
    assert conf_args["show_changes"] is False and conf_args["mode"] == "0640"
    conf = formula.render_template("nova", "nova.conf.jinja", conf_args["context"], pillar)
    assert "compute_driver = ironic.IronicDriver" in conf
    assert "host = render\n" in conf, "the compute host defaults to the minion id"
    # URL-quoted in the URL, $ doubled for oslo.config
    assert "transport_url = rabbit://openstack:FAKE-mq%2Fpw%40canary@10.0.0.12:5672/\n" in conf
    for section in ("placement", "neutron", "glance", "ironic", "service_user"):
        body = conf.split(f"[{section}]\n", 1)[1].split("\n[", 1)[0]
        assert "auth_url = http://10.0.0.12:5000/v3" in body, section
        assert "username = ironic" in body and "password = FAKE-ks-pa$$$$-canary" in body, section


def test_a_host_without_a_mine_address_fails_config_naming_the_key(tmp_path):
    states = formula.show_sls(tmp_path, (FORMULA / "pillar.example").read_text(), "nova")
    failing = formula.state_args(states, "nova-config-addresses-resolved", "test")
    assert "nova:keystone:auth_url (host controller1)" in failing["name"]
    assert "nova:messaging:host (host controller1)" in failing["name"]
    assert {"file": "nova-config-file-managed"} in failing["require_in"]


def test_fake_driver_and_pkg_install(tmp_path):
    pillar = with_urls(example())
    pillar["nova"]["compute"].update(driver="fake", host="compute7")
    pillar["nova"]["lookup"]["install"] = {"method": "pkg"}
    states = formula.show_sls(tmp_path, yaml.safe_dump(pillar), "nova")
    assert formula.state_args(states, "nova-install-pkgs-installed")["pkgs"] == ["nova-compute"]
    conf = formula.render_template(
        "nova", "nova.conf.jinja", formula.state_args(states, "nova-config-file-managed")["context"], pillar
    )
    assert "compute_driver = fake.FakeDriver" in conf and "host = compute7\n" in conf
    assert "[ironic]" not in conf


def test_a_virt_driver_host_keeps_a_node_identity_derived_from_its_name(tmp_path):
    from salt.utils.jinja import uuid_

    pillar = with_urls(example())
    pillar["nova"]["compute"].update(driver="fake", host="compute7")
    states = formula.show_sls(tmp_path, yaml.safe_dump(pillar), "nova")
    identity = formula.state_args(states, "nova-config-node-identity-managed")
    assert identity["name"] == "/var/lib/nova/compute_id"
    # Salt's `uuid` filter (uuid5 of the text): the same on a host reinstalled under that name
    assert identity["contents"] == uuid_("stacksalt nova-compute compute7")
    assert identity["replace"] is False, "an identity Nova already made must be left alone"
    running = formula.state_args(states, "nova-service-compute-running", "service")
    assert {"file": "nova-config-node-identity-managed"} in running["require"], running


def test_the_ironic_driver_keeps_no_local_node_identity(tmp_path):
    states = formula.show_sls(tmp_path, yaml.safe_dump(with_urls(example())), "nova")
    assert "nova-config-node-identity-managed" not in states


def test_the_fake_driver_class_comes_from_pillar(tmp_path):
    pillar = with_urls(example())
    pillar["nova"]["compute"].update(driver="fake", fake_driver="uploading_fake.UploadingFakeDriver")
    states = formula.show_sls(tmp_path, yaml.safe_dump(pillar), "nova")
    conf = formula.render_template(
        "nova", "nova.conf.jinja", formula.state_args(states, "nova-config-file-managed")["context"], pillar
    )
    assert "compute_driver = uploading_fake.UploadingFakeDriver\n" in conf


def test_the_host_joins_its_aggregates_after_its_service_retrying(tmp_path):
    states = formula.show_sls(tmp_path, yaml.safe_dump(with_urls(example())), "nova")
    join = states["nova-compute-in-aggregate-baremetal-hosts"]
    args = formula.state_args(states, "nova-compute-in-aggregate-baremetal-hosts")
    assert args["hosts"] == ["render"] and args["purge_hosts"] is False and args["cloud"] == "ironic"
    # registering in this very run: test=True says so instead of failing
    assert args["await_hosts"] is True
    assert {"service": "nova-service-compute-running"} in args["require"]
    assert join["__env__"] == "base" and args["retry"]["attempts"] * args["retry"]["interval"] >= 120
    # the metadata stays the cloud-admin host's: this state sets none
    assert "metadata" not in args


def test_aggregates_need_a_cloud():
    data = example()["nova"]
    data.pop("cloud")
    with pytest.raises(jsonschema.ValidationError, match="cloud"):
        jsonschema.validate(data, schema())
