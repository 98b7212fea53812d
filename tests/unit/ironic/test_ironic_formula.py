"""The ironic formula: pillar.example matches schema.yaml, bad pillars are caught, and the
formula renders with the example pillar (salt-call --local state.show_sls)."""

import json
import pathlib

import jinja2
import jsonschema
import pytest
import yaml

from tests.support import formula

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
FORMULA = REPO / "salt" / "ironic"


def schema():
    return yaml.safe_load((FORMULA / "schema.yaml").read_text())


def example():
    return yaml.safe_load((FORMULA / "pillar.example").read_text())


def test_pillar_example_matches_schema():
    jsonschema.validate(example()["ironic"], schema())


@pytest.mark.parametrize(
    "patch",
    [
        {"enabled_hardware_types": ["pxe_ssh"]},
        {"database": {"connection": "oracle://x"}},
        {"config": {"DEFAULT": {"admin_password": "x"}}},
        {"conductor": {"automated_clean": "yes"}},
        {"nodes": [{"name": "n", "driver": "ipmi", "ports": [{"address": "zz"}]}]},
    ],
)
def test_bad_pillars_are_rejected(patch):
    data = dict(example()["ironic"], **patch)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema())


def show_sls(tmp_path, pillar_text, sls="ironic"):
    return formula.show_sls(tmp_path, pillar_text, sls, pillar_name="ironic")


state_args = formula.state_args


def render_conf(states, pillar=None):
    """ironic.conf as the formula renders it (the template with the state's context, and
    ``salt['pillar.get']`` over ``pillar``, default pillar.example, for what it reads by key)."""
    pillar = example() if pillar is None else pillar
    args = state_args(states, "ironic-config-file-managed")
    return formula.render_template("ironic", "ironic.conf.jinja", args["context"], pillar)


def test_formula_renders_with_example_pillar(tmp_path):
    states = show_sls(tmp_path, (FORMULA / "pillar.example").read_text())
    assert "ironic-pillar-schema-validated" in states
    assert "ironic-pillar-node-secrets-match-nodes" not in states
    assert "ironic-service-drivers-registered" in states
    nodes = states["ironic-nodes-enrolled"]["ironic_node"]
    assert {"pillar_key": "ironic:nodes"} in nodes
    # No timeout in the pillar: the state keeps the module's one default (DEFAULT_TIMEOUT).
    assert not any("timeout" in arg for arg in nodes if isinstance(arg, dict))


def test_rendered_sls_holds_no_bmc_secret(tmp_path):
    """state.show_sls ironic: the node keeps its other driver_info, the state reads the BMC
    secrets from the minion's pillar by key, and no state carries them."""
    states = show_sls(tmp_path, (FORMULA / "pillar.example").read_text())
    args = state_args(states, "ironic-nodes-enrolled")
    (node,) = args["nodes"]
    assert node["driver_info"] == {"ipmi_address": "192.0.2.101", "ipmi_username": "admin"}
    assert args["secrets_pillar"] == "ironic:node_secrets"
    # ironic.validate renders the whole pillar into its state's `data` (salt-ssh needs it
    # inline): that state is not this formula component's to change (named in the report).
    others = {k: v for k, v in states.items() if k != "ironic-pillar-schema-validated"}
    assert "FAKE-change-me" not in json.dumps(others)
    assert "FAKE-change-me" not in render_conf(states)


def test_database_password_is_neither_diffed_nor_in_the_rendered_sls(tmp_path):
    """ironic.conf holds the database URL: its state shows no diff, and the URL from pillar is
    read by the template on the minion, not passed through the state's arguments."""
    pillar = example()
    url = "mysql+pymysql://ironic:CANARY-db-pw@192.0.2.10/ironic"
    pillar["ironic"]["database"] = {"connection": url}
    states = show_sls(tmp_path, yaml.safe_dump(pillar))
    args = state_args(states, "ironic-config-file-managed")
    assert args["show_changes"] is False
    assert args["context"]["settings"]["database"] == {"pillar": "ironic:database:connection"}
    others = {k: v for k, v in states.items() if k != "ironic-pillar-schema-validated"}
    assert "CANARY-db-pw" not in json.dumps(others)
    assert f"[database]\nconnection = {url}\n" in render_conf(states, pillar)


def test_default_database_url_is_rendered_from_the_defaults(tmp_path):
    pillar = example()
    pillar["ironic"].pop("database", None)
    states = show_sls(tmp_path, yaml.safe_dump(pillar))
    args = state_args(states, "ironic-config-file-managed")
    assert args["context"]["settings"]["database"] == {
        "connection": "sqlite:////var/lib/ironic/ironic.sqlite"
    }
    assert "connection = sqlite:////var/lib/ironic/ironic.sqlite\n" in render_conf(states, pillar)


def test_pkg_install_config_and_services(tmp_path):
    states = show_sls(tmp_path, (FORMULA / "pillar.example").read_text())
    conf = render_conf(states)
    assert "rpc_transport = json-rpc" in conf
    assert "[json_rpc]\nport = 8089" in conf
    assert "enabled_hardware_types = fake-hardware,ipmi,redfish" in conf
    assert "cleaning_network = baremetal" in conf
    assert "deploy_kernel = http://10.89.50.11:8088/ipa.kernel" in conf
    assert "automated_clean = true" in conf
    assert "connection = sqlite:////var/lib/ironic/ironic.sqlite" in conf
    assert state_args(states, "ironic-install-pkgs-installed")["install_recommends"] is False
    unit = state_args(states, "ironic-service-unit-managed", "file")
    assert unit["name"] == "/etc/systemd/system/ironic-api.service.d/stacksalt.conf"
    for svc in ("ironic-api", "ironic-conductor"):
        running = state_args(states, f"ironic-service-{svc}-running")
        assert "enable" not in running, "enabling in service.running would skip its watch restart"
        assert {"service": f"ironic-service-{svc}-enabled"} in running["require"]
    waiter = state_args(states, "ironic-service-drivers-registered")
    assert waiter["name"].endswith(" 120 fake-hardware ipmi redfish")
    assert waiter["unless"].endswith(" 0 fake-hardware ipmi redfish")


def test_node_secrets_for_an_unknown_node_stop_the_run(tmp_path):
    pillar = yaml.safe_load((FORMULA / "pillar.example").read_text())
    pillar["ironic"]["node_secrets"]["rack9-typo"] = {"ipmi_password": "FAKE-x"}
    states = show_sls(tmp_path, yaml.safe_dump(pillar))
    check = state_args(states, "ironic-pillar-node-secrets-match-nodes")
    assert "ironic:node_secrets:rack9-typo" in check["name"]
    assert check["failhard"] is True and check["order"] == 1
    assert "FAKE-x" not in check["name"]


def test_lab_role_pillar_matches_schema():
    """pillar/roles/ironic.sls + pillar/secrets/ironic1.sls: valid, every secret has its node."""
    # the role file names the host's own id (its mine address) through Jinja: render it as ironic1's
    text = jinja2.Template((REPO / "pillar/roles/ironic.sls").read_text()).render(opts={"id": "ironic1"})
    role = yaml.safe_load(text)["ironic"]
    secrets = yaml.safe_load((REPO / "pillar/secrets/ironic1.sls").read_text())["ironic"]
    merged = dict(role, **secrets)
    jsonschema.validate(merged, schema())
    names = {node["name"] for node in merged["nodes"]}
    assert set(merged["node_secrets"]) == names
    assert all(v.startswith("FAKE-") for s in merged["node_secrets"].values() for v in s.values())
    assert {node["provision_state"] for node in merged["nodes"]} == {"enroll", "manageable", "available"}


def test_clean_undoes_the_pkg_install_in_reverse(tmp_path):
    states = show_sls(tmp_path, (FORMULA / "pillar.example").read_text(), sls="ironic.clean")
    for svc in ("ironic-api", "ironic-conductor"):
        assert state_args(states, f"ironic-service-{svc}-dead")["enable"] is False
    dropin = state_args(states, "ironic-service-unit-absent", "file")
    assert dropin["name"] == "/etc/systemd/system/ironic-api.service.d/stacksalt.conf"
    assert {"service": "ironic-service-ironic-api-dead"} in dropin["require"]
    assert "ironic-config-file-absent" in states
    assert "ironic-install-pkgs-removed" not in states, "packages stay unless ironic.install.clean"


def test_pip_install_renders_one_process(tmp_path):
    pillar = yaml.safe_load((FORMULA / "pillar.example").read_text())
    pillar["ironic"]["lookup"]["install"] = {"method": "pip", "version": "39.0.0"}
    states = show_sls(tmp_path, yaml.safe_dump(pillar))
    conf = render_conf(states)
    assert "rpc_transport = none" in conf and "[json_rpc]" not in conf
    assert "ironic-install-pip-installed" in states and "ironic-install-pkgs-installed" not in states
    assert (
        state_args(states, "ironic-service-unit-managed", "file")["name"]
        == "/etc/systemd/system/ironic.service"
    )
    running = state_args(states, "ironic-service-ironic-running")
    assert {"service": "ironic-service-ironic-enabled"} in running["require"]
    assert "ironic-service-ironic-api-running" not in states


def test_one_node_timeout_default():
    """The provision-step timeout has one default, the module's DEFAULT_TIMEOUT: apply and the
    states take None for it, the formula leaves it unset, and the docs name the same number."""
    import ast

    module = ast.parse((REPO / "_modules/ironic_node.py").read_text())
    (default,) = [
        n.value.value
        for n in module.body
        if isinstance(n, ast.Assign) and [t.id for t in n.targets] == ["DEFAULT_TIMEOUT"]
    ]
    states = ast.parse((REPO / "_states/ironic_node.py").read_text())
    funcs = {n.name: n for n in [*module.body, *states.body] if isinstance(n, ast.FunctionDef)}
    for func in ("apply", "present", "enrolled"):
        args = funcs[func].args
        defaults = dict(zip([a.arg for a in args.args][-len(args.defaults) :], args.defaults, strict=True))
        assert isinstance(defaults["timeout"], ast.Constant) and defaults["timeout"].value is None, func
    defaults_yaml = (FORMULA / "parameters/defaults.yaml").read_text()
    assert yaml.safe_load(defaults_yaml)["nodes_timeout"] is None
    assert f"DEFAULT_TIMEOUT = {default} s" in defaults_yaml
    assert (
        f"`DEFAULT_TIMEOUT` in\n`_modules/ironic_node.py`, {default} s"
        in (REPO / "docs/ironic.md").read_text()
    )


def test_keystone_service_user_in_every_section_and_its_password_only_in_the_file(tmp_path):
    pillar = example()
    pillar["ironic"]["keystone"]["auth_url"] = "http://keystone.example.org:5000/v3"
    pillar["ironic"]["keystone_password"] = "FAKE-pa$$word-canary"
    states = show_sls(tmp_path, yaml.safe_dump(pillar))
    assert "ironic-config-addresses-resolved" not in states
    assert "FAKE-pa" not in json.dumps(states), "the password reached a state's arguments"
    conf = render_conf(states, pillar)
    assert "auth_strategy = keystone" in conf
    for section in ("keystone_authtoken", "service_catalog", "neutron", "glance", "json_rpc"):
        body = conf.split(f"[{section}]\n", 1)[1].split("\n[", 1)[0]
        assert "auth_type = password" in body, section
        assert "auth_url = http://keystone.example.org:5000/v3" in body, section
        assert "username = ironic" in body and "project_name = service" in body, section
        # oslo.config interpolates $: the literal is written $$
        assert "password = FAKE-pa$$$$word-canary" in body, section
    assert "www_authenticate_uri = https://keystone.cloud.example.org:5000/v3" in conf


def test_a_host_without_a_mine_address_fails_config_naming_the_key(tmp_path):
    # pillar.example's auth_url names host controller1; a local render has no mine
    states = show_sls(tmp_path, (FORMULA / "pillar.example").read_text())
    failing = state_args(states, "ironic-config-addresses-resolved", "test")
    assert "ironic:keystone:auth_url (host controller1)" in failing["name"]
    assert "mine.update" in failing["name"]
    assert {"file": "ironic-config-file-managed"} in failing["require_in"]


def test_noauth_gives_the_conductor_its_api_url(tmp_path):
    pillar = example()
    for key in ("keystone", "keystone_password"):
        pillar["ironic"].pop(key)
    pillar["ironic"].update(
        auth_strategy="noauth",
        allow_insecure_noauth=True,
        service_catalog={"endpoint_override": "http://10.89.50.11:6385"},
    )
    states = show_sls(tmp_path, yaml.safe_dump(pillar))
    conf = render_conf(states, pillar)
    assert "[service_catalog]\nendpoint_override = http://10.89.50.11:6385\n" in conf
    assert "[keystone_authtoken]" not in conf and "auth_type" not in conf


def test_mariadb_database_from_the_mine_and_its_password_by_key(tmp_path):
    """ironic:database:connection as {host, name, user}: the host's mine address, the password
    read by the template from ironic:database_password (percent-encoded, '$' doubled for
    oslo.config), never in a state's arguments; the schema upgrade is skipped at head and
    retried while the database is not there yet; the MySQL driver's package is installed."""
    pillar = example()
    pillar["ironic"]["database"] = {
        "connection": {"host": "ironic1", "port": 3306, "name": "ironic", "user": "ironic"}
    }
    pillar["ironic"]["database_password"] = "CANARY-p@ss/w:rd$x"
    pillar["ironic"]["database_await"] = {"attempts": 20, "interval": 15}
    states = show_sls(tmp_path, yaml.safe_dump(pillar))
    others = {k: v for k, v in states.items() if k != "ironic-pillar-schema-validated"}
    assert "CANARY" not in json.dumps(others)
    # no mine here (the lab tier checks the real address): the run stops before any change,
    # naming the key and the host
    failing = states["ironic-config-addresses-resolved"]["test"]
    assert "ironic:database:connection:host (host ironic1)" in json.dumps(failing)
    conf = render_conf(states, pillar)
    assert (
        "connection = mysql+pymysql://ironic:CANARY-p%40ss%2Fw%3Ard%24x@:3306/ironic?charset=utf8mb4\n"
        in conf
    )
    synced = state_args(states, "ironic-db-synced")
    assert synced["retry"] == {"attempts": 20, "interval": 15, "until": True}
    assert synced["unless"].endswith("/ironic-db-at-head /etc/ironic/ironic.conf")
    assert "--upgrade" in synced["name"] and synced["name"].endswith("/usr/bin/ironic-dbsync")
    assert "python3-pymysql" in state_args(states, "ironic-install-pkgs-installed")["pkgs"]
    assert "ironic-db-file-closed" not in states


def test_mariadb_database_without_password_is_refused(tmp_path):
    pillar = example()
    pillar["ironic"]["database"] = {"connection": {"host": "ironic1", "name": "ironic", "user": "ironic"}}
    errors = [e.message for e in jsonschema.Draft202012Validator(schema()).iter_errors(pillar["ironic"])]
    assert any("database_password" in e for e in errors), errors
