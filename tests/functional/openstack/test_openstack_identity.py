"""
openstack_identity states against the session's real Keystone: Ironic registers itself in the
existing cloud (service ``ironic`` of type ``baremetal`` with three endpoints, user ``ironic``
in project ``service`` with roles admin and service). First run changes, second run none,
test=True exact on a fresh and on a converged cloud, a changed URL updated in place, a password
changed behind Salt's back found by authenticating and set again, the password in no return and
no log line, a missing role refused, bad arguments refused before any change, absent states.
The catalog is also read back through the real ``openstack`` CLI.
"""

import json
import logging
import os
import secrets
import subprocess

import keystoneauth1.exceptions
import openstack.config
import openstack.connection
import pytest

from tests.functional.openstack.conftest import REPO

pytestmark = pytest.mark.functional

SERVICE, TYPE = "ironic", "baremetal"
URLS = {
    "public": "http://127.0.0.1:6385",
    "internal": "http://127.0.0.2:6385",
    "admin": "http://127.0.0.3:6385",
}
#: Unique per session, so a hit in a log line can only be this password.
PASSWORD = f"func-ironic-{secrets.token_hex(12)}"
OTHER_PASSWORD = f"func-other-{secrets.token_hex(12)}"
ROLE = "func-ironic-operator"
PROJECT = "func-ironic-extra"
USER = {"password": PASSWORD, "default_project": "service", "email": "ironic@example.org"}


@pytest.fixture
def idn(compute_conn):
    return compute_conn.identity


def _remove_all(idn):
    for service in idn.services():
        if service.name == SERVICE:
            idn.delete_service(service)
    user = idn.find_user(SERVICE, domain_id="default")
    if user is not None:
        idn.delete_user(user)
    for role in idn.roles():
        if role.name.startswith("func-"):
            idn.delete_role(role)
    for project in idn.projects():
        if project.name.startswith("func-"):
            idn.delete_project(project)


@pytest.fixture(autouse=True)
def fresh_keystone(idn):
    """Every test starts and ends without Ironic's registration (also against reused services)."""
    _remove_all(idn)
    yield
    _remove_all(idn)


@pytest.fixture(autouse=True)
def no_password_logged(caplog):
    """
    Every test runs with every logger at debug level (Salt's, the modules', keystoneauth's
    request and response lines); no record may carry either password. The one record the test
    harness itself writes of a call (saltfactories' "Calling state.single(... password=...)",
    the test's own arguments, not the modules' logging) is left out.
    """
    caplog.set_level(logging.DEBUG)
    yield caplog
    records = caplog.get_records("setup") + caplog.get_records("call")
    ours = [r for r in records if not r.name.startswith("saltfactories")]
    assert any("/v3/" in r.getMessage() for r in ours), "keystoneauth's debug lines were not captured"
    leaked = [
        f"{r.name}: {r.getMessage()[:200]}"
        for r in ours
        for pw in (PASSWORD, OTHER_PASSWORD)
        if pw in r.getMessage()
    ]
    assert not leaked


def _clean(ret):
    """The state return, after checking that no password is anywhere in it."""
    text = json.dumps(ret.full_return, default=str)
    assert PASSWORD not in text and OTHER_PASSWORD not in text
    return ret


def _register(states, test=False, urls=None, **user):
    """The Ironic registration an SLS would apply, state by state in its order: their returns."""
    steps = [
        ("service_present", {"name": SERVICE, "service_type": TYPE, "description": "Ironic bare metal"}),
        ("endpoints_present", {"name": SERVICE, "service_type": TYPE, "urls": urls or URLS}),
        ("project_present", {"name": "service"}),
        ("user_present", {"name": SERVICE, **USER, **user}),
        ("role_granted", {"name": "admin", "user": SERVICE, "project": "service"}),
        ("role_granted", {"name": "service", "user": SERVICE, "project": "service"}),
    ]
    return [_clean(getattr(states.openstack_identity, func)(test=test, **kwargs)) for func, kwargs in steps]


def _live_endpoints(idn):
    service = next(s for s in idn.services() if s.name == SERVICE)
    return {e.interface: e for e in idn.endpoints(service_id=service.id)}


def _authenticates(openstack_compute, password, cloud_config):
    """An independent check: a project-scoped token for user ironic (openstacksdk's own session)."""
    auth = {
        "auth_url": cloud_config["admin"]["auth"]["auth_url"],
        "username": SERVICE,
        "password": password,
        "project_name": "service",
        "user_domain_id": "default",
        "project_domain_id": "default",
    }
    region = openstack.config.get_cloud_region(load_yaml_config=False, load_envvars=False, auth=auth)
    conn = openstack.connection.Connection(config=region)
    try:
        conn.session.get_token()
        return True
    except keystoneauth1.exceptions.http.Unauthorized:
        return False
    finally:
        conn.close()


def _cli(openstack_compute, *args):
    """The real `openstack` CLI of the openstack venv on the session's admin cloud, JSON parsed."""
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=openstack_compute["clouds_yaml"], OS_CLOUD="admin")
    cmd = [str(REPO / ".venvs" / "openstack" / "bin" / "openstack"), *args, "-f", "json"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=True)  # noqa: S603
    return json.loads(out.stdout)


def test_ironic_registers_itself_once(states, idn, openstack_compute, cloud_config):
    planned = _register(states, test=True)
    assert [r.result for r in planned] == [None, None, True, None, None, None], [r.comment for r in planned]
    assert "service 'ironic' does not exist yet" in planned[1].comment
    assert "user 'ironic' does not exist yet" in planned[4].comment
    assert not [s for s in idn.services() if s.name == SERVICE]
    assert idn.find_user(SERVICE, domain_id="default") is None

    first = _register(states)
    assert all(r.result is True for r in first), [r.comment for r in first]
    assert [r.changes for r in first] == [r.changes for r in planned]
    assert [r.changes for r in first] == [
        {"created": {"name": SERVICE, "type": TYPE, "description": "Ironic bare metal", "enabled": True}},
        {iface: {"old": None, "new": url} for iface, url in URLS.items()},
        {},
        {
            "created": {
                "name": SERVICE,
                "domain": "default",
                "default_project": "service",
                "email": "ironic@example.org",
                "enabled": True,
            },
            "password": "set",
        },
        {"granted": {"role": "admin", "user": SERVICE, "project": "service"}},
        {"granted": {"role": "service", "user": SERVICE, "project": "service"}},
    ]
    assert {iface: e.url for iface, e in _live_endpoints(idn).items()} == URLS
    user = idn.find_user(SERVICE, domain_id="default")
    service_project = idn.find_project("service", domain_id="default")
    assert user.default_project_id == service_project.id and user.email == "ironic@example.org"
    granted = {
        a.role["id"] for a in idn.role_assignments(user_id=user.id, scope_project_id=service_project.id)
    }
    assert granted == {idn.find_role("admin").id, idn.find_role("service").id}
    assert _authenticates(openstack_compute, PASSWORD, cloud_config)

    for test in (False, True):
        again = _register(states, test=test)
        assert [(r.result, r.changes) for r in again] == [(True, {})] * 6, [r.comment for r in again]

    # What an operator sees with the real CLI.
    shown = _cli(openstack_compute, "service", "show", SERVICE)
    assert (shown["name"], shown["type"], shown["enabled"]) == (SERVICE, TYPE, True)
    listed = _cli(openstack_compute, "endpoint", "list", "--service", SERVICE)
    assert {e["Interface"]: e["URL"] for e in listed} == URLS
    assert {e["Region"] for e in listed} == {"RegionOne"}


def test_changed_url_is_updated_in_place(states, idn):
    _register(states)
    before = _live_endpoints(idn)
    moved = dict(URLS, public="https://ironic.example.org:6385")
    idn.delete_endpoint(before["internal"])  # lost out of band: created again
    kwargs = {"name": SERVICE, "service_type": TYPE, "urls": moved}
    planned = _clean(states.openstack_identity.endpoints_present(test=True, **kwargs))
    assert planned.result is None and _live_endpoints(idn)["public"].url == URLS["public"]
    ret = _clean(states.openstack_identity.endpoints_present(**kwargs))
    assert ret.result is True, ret.comment
    assert (
        ret.changes
        == planned.changes
        == {
            "public": {"id": before["public"].id, "old": URLS["public"], "new": moved["public"]},
            "internal": {"old": None, "new": URLS["internal"]},
        }
    )
    after = _live_endpoints(idn)
    assert after["public"].id == before["public"].id and after["public"].url == moved["public"]
    assert after["admin"].id == before["admin"].id
    assert states.openstack_identity.endpoints_present(**kwargs).changes == {}


def test_purge_removes_unlisted_endpoints(states, idn):
    _register(states)
    live = _live_endpoints(idn)
    kwargs = {"name": SERVICE, "urls": {"public": URLS["public"], "internal": URLS["internal"]}}
    kept = _clean(states.openstack_identity.endpoints_present(**kwargs))
    assert kept.result is True and kept.changes == {}
    planned = _clean(states.openstack_identity.endpoints_present(purge=True, test=True, **kwargs))
    removed = {"removed": [{"id": live["admin"].id, "interface": "admin", "url": URLS["admin"]}]}
    assert planned.result is None and planned.changes == removed
    ret = _clean(states.openstack_identity.endpoints_present(purge=True, **kwargs))
    assert ret.result is True and ret.changes == removed
    assert set(_live_endpoints(idn)) == {"public", "internal"}


def test_password_changed_out_of_band_is_found_and_reset(states, idn, openstack_compute, cloud_config):
    _register(states)
    user = idn.find_user(SERVICE, domain_id="default")
    idn.update_user(user, password=OTHER_PASSWORD)  # the admin, through the API
    assert not _authenticates(openstack_compute, PASSWORD, cloud_config)
    kwargs = {"name": SERVICE, **USER}
    planned = _clean(states.openstack_identity.user_present(test=True, **kwargs))
    assert planned.result is None and planned.changes == {"password": "changed"}, planned.comment
    assert planned.comment == "User 'ironic' would be updated"
    assert _authenticates(openstack_compute, OTHER_PASSWORD, cloud_config)  # test=True changed nothing
    ret = _clean(states.openstack_identity.user_present(**kwargs))
    assert ret.result is True and ret.changes == {"password": "changed"}, ret.comment
    assert _authenticates(openstack_compute, PASSWORD, cloud_config)
    assert not _authenticates(openstack_compute, OTHER_PASSWORD, cloud_config)
    assert idn.find_user(SERVICE, domain_id="default").id == user.id
    again = _clean(states.openstack_identity.user_present(**kwargs))
    assert again.result is True and again.changes == {}
    # Another field changed out of band comes back too; the password is not touched.
    idn.update_user(user, email="someone@example.org")
    ret = _clean(states.openstack_identity.user_present(**kwargs))
    assert ret.changes == {"email": {"old": "someone@example.org", "new": "ironic@example.org"}}


def test_missing_role_is_refused_unless_created(states, idn):
    _register(states)
    kwargs = {"name": ROLE, "user": SERVICE, "project": "service"}
    for test in (True, False):
        ret = _clean(states.openstack_identity.role_granted(test=test, **kwargs))
        assert ret.result is False and ret.changes == {}
        assert f"openstack_identity:role:{ROLE}:name: no role '{ROLE}' in Keystone (known: " in ret.comment
        assert "admin" in ret.comment and "create_role: true" in ret.comment
        assert "nothing was changed" in ret.comment
    assert idn.find_role(ROLE) is None
    planned = _clean(states.openstack_identity.role_granted(create_role=True, test=True, **kwargs))
    assert planned.result is None and idn.find_role(ROLE) is None
    ret = _clean(states.openstack_identity.role_granted(create_role=True, **kwargs))
    assert ret.result is True
    assert (
        ret.changes
        == planned.changes
        == {"role_created": ROLE, "granted": {"role": ROLE, "user": SERVICE, "project": "service"}}
    )
    role, user = idn.find_role(ROLE), idn.find_user(SERVICE, domain_id="default")
    assert [a.role["id"] for a in idn.role_assignments(user_id=user.id, role_id=role.id)] == [role.id]
    assert states.openstack_identity.role_granted(create_role=True, **kwargs).changes == {}


def test_bad_arguments_are_refused_before_any_change(states, idn):
    typo = _clean(
        states.openstack_identity.endpoints_present(
            name=SERVICE, urls={"publik": URLS["public"], "admin": "6385"}
        )
    )
    assert typo.result is False
    assert "openstack_identity:endpoints:ironic:urls:publik: not an interface" in typo.comment
    assert "(did you mean 'public'?)" in typo.comment
    assert "urls:admin: must be an http(s) URL with a host, got '6385'" in typo.comment
    number = states.openstack_identity.user_present(
        name=SERVICE, password=123456789, default_project="service"
    )
    assert number.result is False and "user:ironic:password: must be a non-empty string" in number.comment
    assert "123456789" not in number.comment
    region = states.openstack_identity.endpoints_present(name=SERVICE, urls=URLS, region="RegionTwo")
    assert region.result is False
    assert "endpoints:ironic:region: no region 'RegionTwo' in Keystone (known: RegionOne)" in region.comment
    domain = _clean(
        states.openstack_identity.user_present(name=SERVICE, password=PASSWORD, domain="nodomain")
    )
    assert domain.result is False and "user:ironic:domain: no domain 'nodomain' in Keystone" in domain.comment
    project = _clean(
        states.openstack_identity.user_present(name=SERVICE, password=PASSWORD, default_project="func-none")
    )
    assert project.result is False
    assert "user:ironic:default_project: no project 'func-none' in Keystone" in project.comment
    assert not [s for s in idn.services() if s.name == SERVICE]
    assert idn.find_user(SERVICE, domain_id="default") is None


def test_project_present_creates_then_keeps(states, idn):
    kwargs = {"name": PROJECT, "description": "Ironic's extra project"}
    planned = states.openstack_identity.project_present(test=True, **kwargs)
    assert planned.result is None and idn.find_project(PROJECT, domain_id="default") is None
    ret = states.openstack_identity.project_present(**kwargs)
    assert ret.result is True
    created = {"name": PROJECT, "description": "Ironic's extra project", "domain": "default", "enabled": True}
    assert ret.changes == planned.changes == {"created": created}
    assert idn.find_project(PROJECT, domain_id="default").description == "Ironic's extra project"
    for test in (True, False):
        assert states.openstack_identity.project_present(test=test, **kwargs).changes == {}
    changed = states.openstack_identity.project_present(name=PROJECT, description="Other", domain="Default")
    assert changed.changes == {"description": {"old": "Ironic's extra project", "new": "Other"}}


def test_absent_removes_and_is_idempotent(states, idn):
    _register(states)
    service = next(s for s in idn.services() if s.name == SERVICE)
    user = idn.find_user(SERVICE, domain_id="default")
    planned = _clean(states.openstack_identity.user_absent(name=SERVICE, test=True))
    assert planned.result is None and idn.find_user(SERVICE, domain_id="default") is not None
    ret = _clean(states.openstack_identity.user_absent(name=SERVICE))
    assert ret.result is True and ret.changes == planned.changes == {
        "deleted": {"id": user.id, "domain_id": "default"}
    }
    assert idn.find_user(SERVICE, domain_id="default") is None
    planned = states.openstack_identity.service_absent(name=SERVICE, service_type=TYPE, test=True)
    assert planned.result is None and _live_endpoints(idn)
    ret = states.openstack_identity.service_absent(name=SERVICE, service_type=TYPE)
    assert ret.result is True
    assert ret.changes == planned.changes == {"deleted": {"id": service.id, "type": TYPE, "endpoints": 3}}
    assert not [s for s in idn.services() if s.name == SERVICE]
    assert not [e for e in idn.endpoints() if e.service_id == service.id]
    for test in (False, True):
        for ret in (
            states.openstack_identity.user_absent(name=SERVICE, test=test),
            states.openstack_identity.service_absent(name=SERVICE, test=test),
        ):
            assert ret.result is True and ret.changes == {}, ret.comment
            assert "is already absent" in ret.comment
