"""
Keystone v3: register a service in an existing cloud (its catalog entry and endpoints, its
service user, project and roles), idempotently.

.. code-block:: yaml

    ironic-keystone-service:
      openstack_identity.service_present:
        - name: ironic
        - service_type: baremetal
        - description: Ironic bare metal provisioning

    ironic-keystone-endpoints:
      openstack_identity.endpoints_present:
        - name: ironic
        - service_type: baremetal
        - region: RegionOne
        - urls:
            public: https://cloud.example.org:6385
            internal: http://10.0.0.10:6385
            admin: http://10.0.0.10:6385
        - purge: false                  # true: the service's other endpoints in the region go
        - require:
          - openstack_identity: ironic-keystone-service

    ironic-keystone-project:
      openstack_identity.project_present:
        - name: service

    ironic-keystone-user:
      openstack_identity.user_present:
        - name: ironic
        - password_pillar: ironic:keystone_password   # read on the minion: never in the rendered state
        - default_project: service
        - email: ironic@example.org
        - require:
          - openstack_identity: ironic-keystone-project

    {% for role in ['admin', 'service'] %}
    ironic-keystone-role-{{ role }}:
      openstack_identity.role_granted:
        - name: {{ role }}
        - user: ironic
        - project: service
        - require:
          - openstack_identity: ironic-keystone-user
    {% endfor %}

Every state takes ``cloud`` (a cloud of ``openstack:clouds`` or clouds.yaml; default
``openstack:cloud``); those that check arguments take ``pillar_key`` too (where the data came
from, the prefix of their error messages; default ``openstack_identity:<kind>:<name>``).

A password is checked by authenticating as the user and set only when Keystone refuses it;
``changes`` says ``password: set`` or ``password: changed``, never the password. Bad arguments
fail the state, naming the argument, before any change. ``test=True`` returns exactly the
changes a real run makes; an object an earlier state of the same run would create (the
service of the endpoints, the project of a user) is reported as such in test mode.
"""

import importlib

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "openstack_identity"

_VERBS = {"create": "created", "update": "updated", "grant": "granted", "delete": "deleted"}


def __virtual__():
    if "openstack_identity.plan" not in __salt__:
        return (
            False,
            "openstack_identity: the openstack_identity execution module is not available (openstacksdk?)",
        )
    return __virtualname__


def _ret(name):
    return {"name": name, "result": False, "changes": {}, "comment": ""}


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


def _call(func, *args, **kwargs):
    return __salt__[f"openstack_identity.{func}"](*args, **kwargs)


def _start(kind, args):
    """
    From a state's arguments (its ``locals()`` before anything else): the state's return, the
    prefix of its error messages, and the arguments as the execution module checks them
    (``spec``: the ones given, without ``cloud`` and ``pillar_key``; None when they are
    invalid, and the return says why).
    """
    args = dict(args)
    name, pillar_key = args.pop("name"), args.pop("pillar_key", None)
    args.pop("cloud", None)
    ret = _ret(name)
    where = pillar_key or f"openstack_identity:{kind}:{name}"
    spec = dict({k: v for k, v in args.items() if v is not None}, name=name)
    errors = _call("validate", kind, spec, where=where)
    if errors:
        return _util("stacksalt_openstack.invalid")(ret, "arguments", errors), where, None
    return ret, where, spec


def _domain_id(domain, where, key, cloud):
    found = _call("find_domain", domain, cloud=cloud)
    if found is None:
        raise SaltInvocationError(f"{where}:{key}: no domain '{domain}' in Keystone")
    return found["id"]


def _needed(what, where, key, hint):
    """
    An object another state makes is missing: in a real run an error naming the argument, in
    test mode a note (the earlier state of the same run would have made it).
    """
    message = f"{where}:{key}: no {what} in Keystone ({hint})"
    if not __opts__["test"]:
        raise SaltInvocationError(message)
    return f"{what} does not exist yet"


def _finish(ret, label, item, apply, notes=()):
    """The state's return for a plan ``item``: nothing to do, test mode, or ``apply()`` run."""
    notes = [*notes, *item.get("notes", ())]
    suffix = f" ({'; '.join(notes)})" if notes else ""
    if item["action"] == "none":
        ret.update(result=True, comment=f"{label} is in the desired state{suffix}")
        return ret
    return _util("stacksalt_openstack.carry_out")(
        ret, label, _VERBS[item["action"]], item["changes"], apply, __opts__["test"], suffix, retry_hint=True
    )


def _saver(kind, name, live, item, cloud, **create):
    """
    What a real run does for a service or project plan: ``create_<kind>`` with ``create`` and
    the planned ``enabled``, else ``update_<kind>`` with the fields the plan found different.
    """

    def apply():
        if live is None:
            _call(f"create_{kind}", name, enabled=item["body"]["enabled"], cloud=cloud, **create)
        else:
            _call(f"update_{kind}", name, live["id"], item["body"], cloud=cloud)

    return apply


def _read_failed(ret, label, exc):
    """Looking up failed: an argument naming nothing Keystone has (SaltInvocationError), or Keystone."""
    reading = "" if isinstance(exc, SaltInvocationError) else f"Could not read {label}: "
    ret["comment"] = f"{reading}{exc}; nothing was changed"
    return ret


def service_present(name, service_type=None, description=None, enabled=True, cloud=None, pillar_key=None):
    """
    Ensure a service (a catalog entry) exists with its type, description and enabled flag.

    name
        The service name (``ironic``).
    service_type
        Its catalog type (``baremetal``).
    description
        Its description (unset: left as it is).
    enabled
        Whether the catalog lists it.
    """
    ret, where, spec = _start("service", locals())
    if spec is None:
        return ret
    label = f"Service '{name}' ({service_type})"
    try:
        live = _call("find_service", name, service_type=service_type, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _read_failed(ret, label, exc)
    item = _call("plan", "service", spec, live)
    apply = _saver("service", name, live, item, cloud, service_type=service_type, description=description)
    return _finish(ret, label, item, apply)


def service_absent(name, service_type=None, cloud=None):
    """
    Ensure no service is named ``name`` (of ``service_type``, when several are); Keystone
    deletes its endpoints with it.

    name
        The service name.
    service_type
        Its type, to tell services of the same name apart.
    """
    ret = _ret(name)
    label = f"Service '{name}'"
    try:
        live = _call("find_service", name, service_type=service_type, cloud=cloud)
        endpoints = _call("endpoints", live["id"], cloud=cloud) if live else []
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _read_failed(ret, label, exc)
    if live is None or (service_type and live["type"] != service_type):
        ret.update(result=True, comment=f"{label} is already absent")
        return ret
    changes = {"deleted": {"id": live["id"], "type": live["type"], "endpoints": len(endpoints)}}
    item = {"action": "delete", "changes": changes}
    return _finish(ret, label, item, lambda: _call("delete_service", name, live["id"], cloud=cloud))


def endpoints_present(
    name, urls=None, service_type=None, region="RegionOne", purge=False, cloud=None, pillar_key=None
):
    """
    Ensure the endpoints of service ``name`` in ``region``: one per interface listed in
    ``urls``, created when missing, its URL changed in place (the endpoint keeps its id).

    name
        The service name.
    urls
        ``{public: URL, internal: URL, admin: URL}`` (any of the three).
    service_type
        The service's type, to tell services of the same name apart.
    region
        The region (it must exist in Keystone).
    purge
        Remove the service's other endpoints in the region (interfaces not listed, duplicates).
    """
    ret, where, spec = _start("endpoints", locals())
    if spec is None:
        return ret
    label = f"Endpoints of service '{name}' in {region}"
    notes = []
    try:
        known = _call("regions", cloud=cloud)
        if region not in known:
            raise SaltInvocationError(
                f"{where}:region: no region '{region}' in Keystone (known: {', '.join(known)})"
            )
        service = _call("find_service", name, service_type=service_type, cloud=cloud)
        if service is None:
            hint = "ensure it with openstack_identity.service_present first"
            notes.append(_needed(f"service '{name}'", where, "name", hint))
        live = _call("endpoints", service["id"], region=region, cloud=cloud) if service else None
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _read_failed(ret, label, exc)
    item = _call("plan", "endpoints", spec, live)

    def apply():
        for op in item["operations"]:
            if op["op"] == "create":
                _call("create_endpoint", service["id"], op["interface"], op["url"], region, cloud=cloud)
            elif op["op"] == "update":
                _call("update_endpoint", op["id"], op["fields"], cloud=cloud)
            else:
                _call("delete_endpoint", op["id"], cloud=cloud)

    return _finish(ret, label, item, apply, notes)


def project_present(name, domain="default", description=None, enabled=True, cloud=None, pillar_key=None):
    """
    Ensure a project exists (the ``service`` project usually does: then nothing changes).

    name
        The project name.
    domain
        Its domain, by id or name.
    description
        Its description (unset: left as it is).
    enabled
        Whether it is enabled.
    """
    ret, where, spec = _start("project", locals())
    if spec is None:
        return ret
    label = f"Project '{name}'"
    try:
        domain_id = _domain_id(domain, where, "domain", cloud)
        live = _call("find_project", name, domain=domain_id, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _read_failed(ret, label, exc)
    item = _call("plan", "project", spec, live, domain_id=domain_id)
    apply = _saver("project", name, live, item, cloud, domain_id=domain_id, description=description)
    return _finish(ret, label, item, apply)


def user_present(
    name,
    password=None,
    password_pillar=None,
    domain="default",
    default_project=None,
    project_domain=None,
    enabled=True,
    email=None,
    description=None,
    cloud=None,
    pillar_key=None,
):
    """
    Ensure a user exists with its default project, email, description and enabled flag, and
    that ``password`` is its password: checked by authenticating as the user, set only when
    Keystone refuses it (a disabled user cannot authenticate: its password is left alone, and
    set as it is enabled again).

    name
        The user name.
    password
        Its password (unset: not managed). Never returned, logged or put in ``changes``.
    password_pillar
        Instead of ``password``: the pillar key that holds it (``openstack:user_passwords:ironic``),
        read here on the minion, so the rendered state (``state.show_sls``, the state cache)
        never carries the password.
    domain
        Its domain, by id or name.
    default_project
        Its default project, by name (in ``project_domain``, default: the user's domain) or id.
    enabled, email, description
        As Keystone keeps them (email and description unset: left as they are).
    """
    args = dict(locals())
    if password_pillar is not None:
        where = pillar_key or f"openstack_identity:user:{name}"
        if password is not None:
            ret = _ret(name)
            ret["comment"] = f"{where}: give password or password_pillar, not both; nothing was changed"
            return ret
        password = __salt__["pillar.get"](password_pillar, None, unmask=True)
        if password in (None, ""):
            ret = _ret(name)
            ret["comment"] = (
                f"{where}:password_pillar: pillar key '{password_pillar}' is not set for this "
                "minion; nothing was changed"
            )
            return ret
    args.pop("password_pillar")
    args["password"] = password
    ret, where, spec = _start("user", args)
    if spec is None:
        return ret
    label = f"User '{name}'"
    notes, facts = [], {"project_id": None, "password_ok": None, "old_project": None}
    try:
        facts["domain_id"] = _domain_id(domain, where, "domain", cloud)
        if default_project is not None:
            key = "project_domain" if project_domain else "domain"
            project_domain_id = _domain_id(project_domain or domain, where, key, cloud)
            project = _call("find_project", default_project, domain=project_domain_id, cloud=cloud)
            if project is None:
                hint = "ensure it with openstack_identity.project_present first"
                notes.append(_needed(f"project '{default_project}'", where, "default_project", hint))
            facts["project_id"] = project["id"] if project else None
        live = _call("find_user", name, domain=facts["domain_id"], cloud=cloud)
        if live and password is not None and live["enabled"] and enabled:
            facts["password_ok"] = _call(
                "check_password", name, password, domain=facts["domain_id"], cloud=cloud
            )
        old_project = (live or {}).get("default_project_id")
        if old_project and old_project != facts["project_id"]:
            found = _call("find_project", old_project, cloud=cloud)
            facts["old_project"] = found["name"] if found else old_project
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _read_failed(ret, label, exc)
    item = _call("plan", "user", spec, live, **facts)
    secret = password if item["set_password"] else None

    def apply():
        if live is None:
            _call("create_user", name, facts["domain_id"], password=secret, fields=item["body"], cloud=cloud)
        else:
            _call("update_user", name, live["id"], fields=item["body"], password=secret, cloud=cloud)

    return _finish(ret, label, item, apply, notes)


def user_absent(name, domain="default", cloud=None):
    """
    Ensure no user named ``name`` is in ``domain`` (its role assignments go with it).

    name
        The user name.
    domain
        Its domain, by id or name.
    """
    ret = _ret(name)
    label = f"User '{name}'"
    try:
        domain_id = _domain_id(domain, f"openstack_identity:user:{name}", "domain", cloud)
        live = _call("find_user", name, domain=domain_id, cloud=cloud)
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _read_failed(ret, label, exc)
    if live is None:
        ret.update(result=True, comment=f"{label} is already absent")
        return ret
    item = {"action": "delete", "changes": {"deleted": {"id": live["id"], "domain_id": domain_id}}}
    return _finish(ret, label, item, lambda: _call("delete_user", name, live["id"], cloud=cloud))


def role_granted(
    name,
    user=None,
    project=None,
    user_domain="default",
    project_domain="default",
    create_role=False,
    cloud=None,
    pillar_key=None,
):
    """
    Ensure user ``user`` has role ``name`` on project ``project`` (a direct assignment).

    name
        The role (``admin``, ``service``). A role Keystone does not have is an error, unless
        ``create_role`` is true.
    user, user_domain
        The user and its domain (id or name).
    project, project_domain
        The project (name or id) and its domain (id or name).
    create_role
        Create the role when Keystone does not have it.
    """
    ret, where, spec = _start("role", locals())
    if spec is None:
        return ret
    label = f"Role '{name}' of user '{user}' on project '{project}'"
    notes = []
    try:
        user_domain_id = _domain_id(user_domain, where, "user_domain", cloud)
        project_domain_id = _domain_id(project_domain, where, "project_domain", cloud)
        known = _call("roles", cloud=cloud)
        role = next((r for r in known if r["name"] == name), None)
        live_user = _call("find_user", user, domain=user_domain_id, cloud=cloud)
        if live_user is None:
            hint = "ensure it with openstack_identity.user_present first"
            notes.append(_needed(f"user '{user}'", where, "user", hint))
        live_project = _call("find_project", project, domain=project_domain_id, cloud=cloud)
        if live_project is None:
            hint = "ensure it with openstack_identity.project_present first"
            notes.append(_needed(f"project '{project}'", where, "project", hint))
        assigned = bool(role and live_user and live_project) and _call(
            "role_assigned", role["id"], live_user["id"], live_project["id"], cloud=cloud
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _read_failed(ret, label, exc)
    item = _call("plan", "role", spec, role, assigned=assigned, known_roles=[r["name"] for r in known])
    if item["action"] == "refuse":
        ret["comment"] = f"{where}:name: {item['comment']}; nothing was changed"
        return ret

    def apply():
        role_id = _call("create_role", name, cloud=cloud)["id"] if item["create_role"] else role["id"]
        _call("grant_role", role_id, live_user["id"], live_project["id"], cloud=cloud)

    return _finish(ret, label, item, apply, notes)
