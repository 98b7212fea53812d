"""
openstack_identity: the pure plan and validation branches of the execution module, and the
states' error paths on a mocked API (the module's own validate and plan, mocked look-ups and
writes), in both modes (`testmode`): bad arguments, Keystone failing on read and on write,
objects an earlier state would create, the password check, a missing role. Also the util's
`authenticates` on a mocked keystoneauth (True, False only on 401, other errors raised) and a
client error at the module edge.
"""

import socket
from unittest.mock import MagicMock, patch

import keystoneauth1.exceptions
import pytest
from salt.exceptions import CommandExecutionError

pytestmark = pytest.mark.unit

PASSWORD = "unit-secret-pw-31337"
URLS = {"public": "http://cloud:6385", "internal": "http://10.0.0.10:6385", "admin": "http://10.0.0.10:6385"}
SERVICE = {"id": "svc-1", "name": "ironic", "type": "baremetal", "description": "", "enabled": True}
USER = {
    "id": "user-1",
    "name": "ironic",
    "domain_id": "default",
    "default_project_id": "proj-1",
    "enabled": True,
    "email": None,
    "description": "",
}
PROJECT = {"id": "proj-1", "name": "service", "domain_id": "default", "description": "", "enabled": True}


def _expected(result, comment, changes=None, name="ironic"):
    """A state's whole return, as the tests compare it."""
    return {"name": name, "result": result, "changes": changes or {}, "comment": comment}


def _endpoint(eid, iface, url, region="RegionOne", enabled=True):
    return {
        "id": eid,
        "interface": iface,
        "url": url,
        "region": region,
        "enabled": enabled,
        "service_id": "svc-1",
    }


@pytest.fixture
def module(salt_loader):
    return salt_loader.module("openstack_identity", salt={"config.get": MagicMock(return_value={})})


# ---------------------------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------------------------


def test_validate_names_every_bad_argument(module):
    errors = module.validate(
        "endpoints",
        {"name": "ironic", "urls": {"publik": "http://x:1", "admin": "6385"}, "purge": "yes", "regoin": "R"},
        where="pillar:ironic",
    )
    assert errors == [
        "pillar:ironic:regoin: unknown argument (did you mean 'region'?)",
        "pillar:ironic:purge: must be true or false, got 'yes'",
        "pillar:ironic:urls:publik: not an interface (known: public, internal, admin) (did you mean 'public'?)",
        "pillar:ironic:urls:admin: must be an http(s) URL with a host, got '6385'",
    ]


def test_validate_required_and_limits(module):
    assert module.validate("service", {"name": "ironic"}) == [
        "openstack_identity:service:service_type: is required"
    ]
    assert module.validate("project", {"name": "p" * 65}) == [
        "openstack_identity:project:name: must be a non-empty string of at most 64 characters"
    ]
    assert module.validate("role", {"name": "admin", "user": "ironic"}) == [
        "openstack_identity:role:project: is required"
    ]
    assert module.validate("user", {"name": "ironic", "project_domain": "default"}) == [
        "openstack_identity:user:project_domain: only with default_project"
    ]
    assert module.validate("nothing", {}) == [
        "kind: must be one of service, endpoints, user, project, role, got 'nothing'"
    ]
    assert module.validate("endpoints", {"name": "ironic", "urls": []}) == [
        "openstack_identity:endpoints:urls: must be a mapping of interfaces (public, internal, admin) to URLs"
    ]


@pytest.mark.parametrize("password", [31337, "", "x" * 4097, ["a"]])
def test_validate_never_prints_a_password(module, password):
    errors = module.validate("user", {"name": "ironic", "password": password})
    assert len(errors) == 1 and errors[0].startswith("openstack_identity:user:password: ")
    assert str(password) not in errors[0] or password == ""


# ---------------------------------------------------------------------------------------------
# plan
# ---------------------------------------------------------------------------------------------


def test_plan_service_create_update_none(module):
    spec = {"name": "ironic", "service_type": "baremetal", "description": "Bare metal"}
    created = module.plan("service", spec, None)
    assert created == {
        "action": "create",
        "changes": {
            "created": {"name": "ironic", "description": "Bare metal", "type": "baremetal", "enabled": True}
        },
        "body": {"type": "baremetal", "description": "Bare metal", "enabled": True, "name": "ironic"},
    }
    updated = module.plan("service", dict(spec, enabled=False), SERVICE)
    assert updated["action"] == "update"
    assert updated["changes"] == {
        "description": {"old": "", "new": "Bare metal"},
        "enabled": {"old": True, "new": False},
    }
    assert updated["body"] == {"description": "Bare metal", "enabled": False}
    assert (
        module.plan("service", {"name": "ironic", "service_type": "baremetal"}, SERVICE)["action"] == "none"
    )


def test_plan_project_keeps_an_existing_one(module):
    assert module.plan("project", {"name": "service"}, PROJECT, domain_id="default")["action"] == "none"
    created = module.plan("project", {"name": "extra", "domain": "Default"}, None, domain_id="default")
    assert created["changes"] == {"created": {"name": "extra", "domain": "Default", "enabled": True}}
    assert created["body"] == {"enabled": True, "name": "extra", "domain_id": "default"}


def test_plan_endpoints_all_created_when_the_service_is_new(module):
    item = module.plan("endpoints", {"name": "ironic", "urls": URLS}, None)
    assert item["action"] == "create"
    assert item["changes"] == {iface: {"old": None, "new": url} for iface, url in URLS.items()}
    assert [op["interface"] for op in item["operations"]] == ["public", "internal", "admin"]


def test_plan_endpoints_update_in_place_re_enable_and_other_regions(module):
    live = [
        _endpoint("e-pub", "public", "http://old:6385"),
        _endpoint("e-int", "internal", URLS["internal"], enabled=False),
        _endpoint("e-adm", "admin", URLS["admin"]),
        _endpoint("e-other", "public", "http://elsewhere:6385", region="RegionTwo"),
    ]
    item = module.plan("endpoints", {"name": "ironic", "urls": URLS, "purge": True}, live)
    assert item["action"] == "update"
    assert item["changes"] == {
        "public": {"id": "e-pub", "old": "http://old:6385", "new": URLS["public"]},
        "internal": {"id": "e-int", "enabled": {"old": False, "new": True}},
    }
    assert item["operations"] == [
        {"op": "update", "id": "e-pub", "interface": "public", "fields": {"url": URLS["public"]}},
        {"op": "update", "id": "e-int", "interface": "internal", "fields": {"enabled": True}},
    ]


def test_plan_endpoints_duplicates_noted_or_purged(module):
    live = [
        _endpoint("e-2", "public", "http://dup:6385"),
        _endpoint("e-1", "public", URLS["public"]),
        _endpoint("e-3", "admin", URLS["admin"]),
    ]
    spec = {"name": "ironic", "urls": {"public": URLS["public"]}}
    kept = module.plan("endpoints", spec, live)
    assert kept["action"] == "none" and kept["changes"] == {}
    assert kept["notes"] == ["more public endpoints in RegionOne (e-2): purge: true removes them"]
    purged = module.plan("endpoints", dict(spec, purge=True), live)
    assert purged["changes"] == {
        "removed": [
            {"id": "e-3", "interface": "admin", "url": URLS["admin"]},
            {"id": "e-2", "interface": "public", "url": "http://dup:6385"},
        ]
    }
    assert [op["op"] for op in purged["operations"]] == ["delete", "delete"]


def test_plan_user_create_sets_the_password_without_showing_it(module):
    spec = {"name": "ironic", "password": PASSWORD, "default_project": "service", "email": "i@example.org"}
    item = module.plan("user", spec, None, domain_id="default", project_id="proj-1")
    assert item["changes"] == {
        "created": {
            "name": "ironic",
            "default_project": "service",
            "email": "i@example.org",
            "domain": "default",
            "enabled": True,
        },
        "password": "set",
    }
    assert item["set_password"] is True
    assert item["body"] == {
        "enabled": True,
        "email": "i@example.org",
        "name": "ironic",
        "domain_id": "default",
        "default_project_id": "proj-1",
    }
    assert PASSWORD not in repr(item)


@pytest.mark.parametrize(
    ("live", "spec", "password_ok", "changes", "notes"),
    [
        (USER, {}, True, {}, []),
        (USER, {}, False, {"password": "changed"}, []),
        # a disabled user cannot authenticate: set as it is enabled again
        (
            dict(USER, enabled=False),
            {},
            None,
            {"enabled": {"old": False, "new": True}, "password": "set"},
            [],
        ),
        # stays disabled: the password is not checked and not set
        (
            dict(USER, enabled=False),
            {"enabled": False},
            None,
            {},
            ["the user is disabled: its password cannot be checked and is left as it is"],
        ),
    ],
    ids=["right", "wrong", "re-enabled", "disabled"],
)
def test_plan_user_password_branches(module, live, spec, password_ok, changes, notes):
    spec = dict({"name": "ironic", "password": PASSWORD, "default_project": "service"}, **spec)
    item = module.plan("user", spec, live, domain_id="default", project_id="proj-1", password_ok=password_ok)
    assert item["changes"] == changes
    assert item["action"] == ("update" if changes else "none")
    assert item["set_password"] is ("password" in changes)
    assert item["notes"] == notes


def test_plan_user_new_default_project(module):
    spec = {"name": "ironic", "default_project": "service"}
    item = module.plan(
        "user", spec, dict(USER, default_project_id="old-1"), project_id="proj-1", old_project="admin"
    )
    assert item["changes"] == {"default_project": {"old": "admin", "new": "service"}}
    assert item["body"] == {"default_project_id": "proj-1"}


def test_plan_role_branches(module):
    spec = {"name": "operator", "user": "ironic", "project": "service"}
    refused = module.plan("role", spec, None, known_roles=["member", "admin"])
    assert refused["action"] == "refuse"
    assert refused["comment"] == (
        "no role 'operator' in Keystone (known: admin, member): set create_role: true to create it"
    )
    created = module.plan("role", dict(spec, create_role=True), None)
    assert created["action"] == "grant" and created["create_role"] is True
    assert created["changes"] == {
        "role_created": "operator",
        "granted": {"role": "operator", "user": "ironic", "project": "service"},
    }
    role = {"id": "r-1", "name": "operator"}
    assert module.plan("role", spec, role, assigned=True)["action"] == "none"
    assert module.plan("role", spec, role, assigned=False)["changes"] == {
        "granted": {"role": "operator", "user": "ironic", "project": "service"}
    }


# ---------------------------------------------------------------------------------------------
# states on a mocked API
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def execution(module):
    """The module's own validate and plan; look-ups answer the converged Ironic, writes succeed."""
    return {
        "openstack_identity.validate": module.validate,
        "openstack_identity.plan": module.plan,
        "openstack_identity.find_domain": MagicMock(
            side_effect=lambda d, cloud=None: {"id": "default", "name": "Default"}
            if d in ("default", "Default")
            else None
        ),
        "openstack_identity.regions": MagicMock(return_value=["RegionOne"]),
        "openstack_identity.roles": MagicMock(return_value=[{"id": "r-admin", "name": "admin"}]),
        "openstack_identity.find_service": MagicMock(return_value=dict(SERVICE)),
        "openstack_identity.endpoints": MagicMock(
            return_value=[_endpoint(f"e-{i}", i, u) for i, u in URLS.items()]
        ),
        "openstack_identity.find_project": MagicMock(return_value=dict(PROJECT)),
        "openstack_identity.find_user": MagicMock(return_value=dict(USER)),
        "openstack_identity.role_assigned": MagicMock(return_value=True),
        "openstack_identity.check_password": MagicMock(return_value=True),
        **{
            f"openstack_identity.{f}": MagicMock(return_value={"id": "new-1"})
            for f in (
                "create_service",
                "update_service",
                "delete_service",
                "create_endpoint",
                "update_endpoint",
                "delete_endpoint",
                "create_project",
                "update_project",
                "create_user",
                "update_user",
                "delete_user",
                "create_role",
                "grant_role",
            )
        },
    }


WRITES = ("create_", "update_", "delete_", "grant_")


def _writes(execution):
    return [k for k, f in execution.items() if k.split(".")[1].startswith(WRITES) and f.called]


@pytest.fixture
def state(salt_loader, execution, testmode):
    return salt_loader.state("openstack_identity", salt=execution, opts={"test": testmode})


def test_bad_arguments_fail_before_any_call(state, execution):
    ret = state.endpoints_present("ironic", urls={"publik": "http://x:1"}, cloud="admin")
    assert ret == _expected(
        False,
        (
            "Invalid arguments, nothing was changed:\n  - openstack_identity:endpoints:ironic:urls:publik: "
            "not an interface (known: public, internal, admin) (did you mean 'public'?)"
        ),
    )
    execution["openstack_identity.regions"].assert_not_called()
    ret = state.user_present("ironic", password=31337, pillar_key="openstack:identity:users:ironic")
    assert ret["comment"] == (
        "Invalid arguments, nothing was changed:\n"
        "  - openstack:identity:users:ironic:password: must be a non-empty string (quote it in YAML)"
    )
    assert not _writes(execution) and not execution["openstack_identity.find_user"].called


def test_unknown_region_and_domain_name_the_argument(state, execution):
    ret = state.endpoints_present("ironic", urls=URLS, region="RegionTwo")
    assert ret["result"] is False and ret["comment"] == (
        "openstack_identity:endpoints:ironic:region: no region 'RegionTwo' in Keystone (known: RegionOne); "
        "nothing was changed"
    )
    ret = state.role_granted("admin", user="ironic", project="service", project_domain="nodomain")
    assert ret["result"] is False and ret["comment"] == (
        "openstack_identity:role:admin:project_domain: no domain 'nodomain' in Keystone; nothing was changed"
    )
    assert not _writes(execution)


@pytest.mark.parametrize(
    ("failing", "error", "comment"),
    [
        (
            "find_service",
            "looking up service 'ironic' in Keystone: HTTP 503: Service Unavailable",
            "Could not read Service 'ironic' (baremetal): looking up service 'ironic' in Keystone: "
            "HTTP 503: Service Unavailable; nothing was changed",
        ),
        (
            "create_service",
            "creating service 'ironic': HTTP 403: Forbidden",
            "Service 'ironic' (baremetal) could not be created: creating service 'ironic': HTTP 403: "
            "Forbidden (run the state again to finish)",
        ),
    ],
    ids=["read", "write"],
)
def test_keystone_failing_is_reported(state, execution, testmode, failing, error, comment):
    execution["openstack_identity.find_service"].return_value = None
    execution[f"openstack_identity.{failing}"].side_effect = CommandExecutionError(error)
    ret = state.service_present("ironic", service_type="baremetal")
    if testmode and failing == "create_service":
        changes = {"created": {"name": "ironic", "type": "baremetal", "enabled": True}}
        assert ret == _expected(None, "Service 'ironic' (baremetal) would be created", changes=changes)
        assert not _writes(execution)
        return
    assert ret == _expected(False, comment)


def test_endpoints_of_a_service_an_earlier_state_creates(state, execution, testmode):
    execution["openstack_identity.find_service"].return_value = None
    ret = state.endpoints_present("ironic", urls=URLS)
    if testmode:
        assert ret["result"] is None
        assert ret["changes"] == {i: {"old": None, "new": u} for i, u in URLS.items()}
        assert ret["comment"] == (
            "Endpoints of service 'ironic' in RegionOne would be created (service 'ironic' does not exist yet)"
        )
    else:
        assert ret["result"] is False and ret["changes"] == {}
        assert ret["comment"] == (
            "openstack_identity:endpoints:ironic:name: no service 'ironic' in Keystone (ensure it with "
            "openstack_identity.service_present first); nothing was changed"
        )
    assert not _writes(execution)


def test_endpoints_updated_in_place(state, execution, testmode):
    ret = state.endpoints_present("ironic", urls=dict(URLS, public="https://new:6385"))
    assert ret["changes"] == {"public": {"id": "e-public", "old": URLS["public"], "new": "https://new:6385"}}
    assert ret["result"] is (None if testmode else True)
    update = execution["openstack_identity.update_endpoint"]
    if testmode:
        update.assert_not_called()
    else:
        update.assert_called_once_with("e-public", {"url": "https://new:6385"}, cloud=None)
        execution["openstack_identity.create_endpoint"].assert_not_called()


def test_wrong_password_is_set_again_and_never_shown(state, execution, testmode):
    execution["openstack_identity.check_password"].return_value = False
    ret = state.user_present("ironic", password=PASSWORD, default_project="service")
    assert ret == _expected(
        None if testmode else True,
        "User 'ironic' would be updated" if testmode else "User 'ironic' updated",
        changes={"password": "changed"},
    )
    execution["openstack_identity.check_password"].assert_called_once_with(
        "ironic", PASSWORD, domain="default", cloud=None
    )
    update = execution["openstack_identity.update_user"]
    if testmode:
        update.assert_not_called()
    else:
        update.assert_called_once_with("ironic", "user-1", fields={}, password=PASSWORD, cloud=None)


def test_right_password_is_left_alone(state, execution):
    ret = state.user_present("ironic", password=PASSWORD, default_project="service")
    assert ret == _expected(True, "User 'ironic' is in the desired state")
    assert not _writes(execution)


def test_a_disabled_user_is_not_authenticated(state, execution):
    execution["openstack_identity.find_user"].return_value = dict(USER, enabled=False)
    ret = state.user_present("ironic", password=PASSWORD, enabled=False)
    assert ret["result"] is True and ret["changes"] == {}
    assert "its password cannot be checked" in ret["comment"]
    execution["openstack_identity.check_password"].assert_not_called()


def test_user_of_a_project_an_earlier_state_creates(state, execution, testmode):
    execution["openstack_identity.find_project"].return_value = None
    execution["openstack_identity.find_user"].return_value = None
    ret = state.user_present("ironic", password=PASSWORD, default_project="service")
    if testmode:
        assert ret["result"] is None and ret["changes"]["password"] == "set"
        assert ret["comment"] == "User 'ironic' would be created (project 'service' does not exist yet)"
    else:
        assert ret["result"] is False
        assert ret["comment"].startswith(
            "openstack_identity:user:ironic:default_project: no project 'service'"
        )
    assert not _writes(execution)
    assert PASSWORD not in repr(ret)


def test_a_new_user_gets_its_password(state, execution, testmode):
    execution["openstack_identity.find_user"].return_value = None
    ret = state.user_present("ironic", password=PASSWORD, default_project="service")
    assert ret["changes"]["password"] == "set" and PASSWORD not in repr(ret)
    create = execution["openstack_identity.create_user"]
    if testmode:
        create.assert_not_called()
        return
    create.assert_called_once_with(
        "ironic",
        "default",
        password=PASSWORD,
        fields={"enabled": True, "name": "ironic", "domain_id": "default", "default_project_id": "proj-1"},
        cloud=None,
    )


def test_missing_role_is_an_error_in_both_modes(state, execution):
    ret = state.role_granted("operator", user="ironic", project="service")
    assert ret == _expected(
        False,
        (
            "openstack_identity:role:operator:name: no role 'operator' in Keystone (known: admin): "
            "set create_role: true to create it; nothing was changed"
        ),
        name="operator",
    )
    assert not _writes(execution)


def test_role_created_and_granted_when_asked(state, execution, testmode):
    execution["openstack_identity.find_user"].return_value = None if testmode else dict(USER)
    ret = state.role_granted("operator", user="ironic", project="service", create_role=True)
    assert ret["changes"] == {
        "role_created": "operator",
        "granted": {"role": "operator", "user": "ironic", "project": "service"},
    }
    if testmode:
        assert ret["result"] is None and "user 'ironic' does not exist yet" in ret["comment"]
        assert not _writes(execution)
        return
    assert ret["result"] is True
    execution["openstack_identity.create_role"].assert_called_once_with("operator", cloud=None)
    execution["openstack_identity.grant_role"].assert_called_once_with(
        "new-1", "user-1", "proj-1", cloud=None
    )


def test_absent_states(state, execution, testmode):
    ret = state.service_absent("ironic", service_type="baremetal")
    assert ret["changes"] == {"deleted": {"id": "svc-1", "type": "baremetal", "endpoints": 3}}
    assert ret["result"] is (None if testmode else True)
    ret = state.user_absent("ironic")
    assert ret["changes"] == {"deleted": {"id": "user-1", "domain_id": "default"}}
    assert bool(_writes(execution)) is not testmode
    execution["openstack_identity.find_service"].return_value = dict(SERVICE, type="other")
    ret = state.service_absent("ironic", service_type="baremetal")
    assert ret == _expected(True, "Service 'ironic' is already absent")


# ---------------------------------------------------------------------------------------------
# the util's authenticates, and the module edge
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def util(salt_loader):
    return salt_loader.util("stacksalt_openstack")


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        (None, True),
        (keystoneauth1.exceptions.http.Unauthorized(http_status=401), False),
        (keystoneauth1.exceptions.http.Forbidden(http_status=403), keystoneauth1.exceptions.http.Forbidden),
        (keystoneauth1.exceptions.ConnectFailure("refused"), keystoneauth1.exceptions.ConnectFailure),
    ],
    ids=["token", "401", "403", "down"],
)
def test_authenticates_false_only_on_401(util, error, answer):
    with patch("keystoneauth1.identity.generic.Password") as password_plugin:
        password_plugin.return_value.get_auth_ref.side_effect = error
        call = lambda: util.authenticates(  # noqa: E731
            "https://keystone:5000/v3",
            PASSWORD,
            verify="/etc/ssl/ca.pem",
            username="ironic",
            user_domain_id="default",
        )
        if isinstance(answer, bool):
            assert call() is answer
        else:
            with pytest.raises(answer):
                call()
    password_plugin.assert_called_once_with(
        auth_url="https://keystone:5000/v3", password=PASSWORD, username="ironic", user_domain_id="default"
    )
    session = password_plugin.return_value.get_auth_ref.call_args.args[0]
    assert session.verify == "/etc/ssl/ca.pem"


def test_a_keystone_that_is_down_is_a_command_error(salt_loader):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cloud = {
        "auth_type": "none",
        "identity_endpoint_override": f"http://127.0.0.1:{port}/v3",
        "connect_retries": 0,
    }
    config = {"openstack": {"cloud": "down-identity", "clouds": {"down-identity": cloud}}}
    module = salt_loader.module(
        "openstack_identity", salt={"config.get": lambda key, default=None: config[key]}
    )
    with pytest.raises(CommandExecutionError) as info:
        module.find_service("ironic")
    assert str(info.value).startswith("looking up service 'ironic' in Keystone: "), str(info.value)


def test_password_by_pillar_key_is_read_on_the_minion_and_checked(state, execution):
    execution["pillar.get"] = MagicMock(return_value=PASSWORD)
    execution["openstack_identity.check_password"].return_value = False
    ret = state.user_present("ironic", password_pillar="openstack:user_passwords:ironic")
    execution["pillar.get"].assert_called_once_with("openstack:user_passwords:ironic", None, unmask=True)
    execution["openstack_identity.check_password"].assert_called_once_with(
        "ironic", PASSWORD, domain="default", cloud=None
    )
    assert ret["changes"] == {"password": "changed"}
    assert PASSWORD not in str(ret)


def test_password_pillar_key_that_is_not_set_fails_naming_it(state, execution):
    execution["pillar.get"] = MagicMock(return_value=None)
    ret = state.user_present(
        "ironic",
        password_pillar="openstack:user_passwords:ironic",
        pillar_key="openstack:identity:users:ironic",
    )
    assert ret == _expected(
        False,
        "openstack:identity:users:ironic:password_pillar: pillar key 'openstack:user_passwords:ironic' "
        "is not set for this minion; nothing was changed",
    )
    assert not _writes(execution)
    execution["openstack_identity.find_user"].assert_not_called()


def test_password_and_password_pillar_together_are_refused(state, execution):
    ret = state.user_present("ironic", password=PASSWORD, password_pillar="openstack:user_passwords:ironic")
    assert ret["result"] is False and "not both" in ret["comment"], ret
    assert PASSWORD not in str(ret)
    assert not _writes(execution)
