"""
Keystone v3 registration of a service in an existing cloud: its catalog entry (service and
endpoints), its service user (password, default project) and that user's roles.

What a service (Ironic here) registers, as pillar describes it::

    openstack:
      identity:
        services:
          ironic:
            service_type: baremetal
            description: Ironic bare metal provisioning
            region: RegionOne
            urls:
              public: https://cloud.example.org:6385
              internal: http://10.0.0.10:6385
              admin: http://10.0.0.10:6385
            purge: false                 # true: this service's other endpoints in the region go
        users:
          ironic:
            domain: default              # a domain id or name
            default_project: service
            password: <from the secrets pillar>
            email: ironic@example.org
            roles: {service: [admin, service]}   # project: roles

Keystone never returns a password: a user's password is checked by authenticating as the user
(``stacksalt_openstack.authenticates``, a session of its own from the admin cloud's
``auth_url`` and CA settings, unscoped: a user without a role on its project yet still
authenticates) and set only when Keystone refuses it. No function returns or logs a password.

Keystone is reached as the admin of the cloud named by ``cloud=`` (default: ``openstack:cloud``),
defined in ``openstack:clouds`` or ``clouds.yaml``, through the identity proxy of the process's
one shared connection; identity has no microversions.

:depends: openstacksdk, keystoneauth1
"""

import importlib
import urllib.parse

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    import openstack  # noqa: F401

    HAS_OPENSTACKSDK = True
except ImportError:  # pragma: no cover
    HAS_OPENSTACKSDK = False

__virtualname__ = "openstack_identity"


def __virtual__():
    if not HAS_OPENSTACKSDK:
        return (False, "openstack_identity: the openstacksdk Python library is not installed")
    return __virtualname__


INTERFACES = ("public", "internal", "admin")
#: The arguments each kind of object takes (``validate``/``plan``), and those it requires.
SPEC_KEYS = {
    "service": {"name", "service_type", "description", "enabled"},
    "endpoints": {"name", "service_type", "region", "urls", "purge"},
    "user": {
        "name",
        "domain",
        "password",
        "default_project",
        "project_domain",
        "enabled",
        "email",
        "description",
    },
    "project": {"name", "domain", "description", "enabled"},
    "role": {"name", "user", "project", "user_domain", "project_domain", "create_role"},
}
REQUIRED = {
    "service": ("name", "service_type"),
    "endpoints": ("name", "urls"),
    "user": ("name",),
    "project": ("name",),
    "role": ("name", "user", "project"),
}
#: Keystone's length limits (project names are shorter than the rest).
NAME_LIMITS = {"project": 64}
TEXT_KEYS = ("service_type", "region", "domain", "default_project", "project_domain", "user", "project")
TEXT_KEYS += ("user_domain", "email")
BOOL_KEYS = ("enabled", "purge", "create_role")
#: Keystone's default [identity] max_password_length.
MAX_PASSWORD = 4096


def _util(name):
    """A stacksalt util function: synced into ``__utils__``, else the installed wheel's."""
    if name in __utils__:
        return __utils__[name]
    return importlib.import_module("saltext.stacksalt").util(name)


#: What each public function does, in the words its errors use
#: (``stacksalt_openstack.guard_edges``, put in place by ``__init__``).
_EDGES = {
    "find_domain": "looking up domain '{domain}' in Keystone",
    "regions": "listing Keystone regions",
    "roles": "listing Keystone roles",
    "find_service": "looking up service '{name}' in Keystone",
    "endpoints": "listing the endpoints of service {service_id}",
    "find_project": "looking up project '{project}' in Keystone",
    "find_user": "looking up user '{name}' in Keystone",
    "role_assigned": "reading the role assignments of user {user_id} on project {project_id}",
    "check_password": "authenticating as user '{name}' to check its password",
    "create_service": "creating service '{name}'",
    "update_service": "updating service '{name}'",
    "delete_service": "deleting service '{name}'",
    "create_endpoint": "creating the {interface} endpoint of service {service_id}",
    "update_endpoint": "updating endpoint {endpoint_id}",
    "delete_endpoint": "deleting endpoint {endpoint_id}",
    "create_project": "creating project '{name}'",
    "update_project": "updating project '{name}'",
    "create_user": "creating user '{name}'",
    "update_user": "updating user '{name}'",
    "delete_user": "deleting user '{name}'",
    "create_role": "creating role '{name}'",
    "grant_role": "granting role {role_id} to user {user_id} on project {project_id}",
}


def __init__(opts):  # noqa: ARG001 - Salt's loader passes its opts
    """Called by Salt's loader once the dunders are in place: guard the module edge."""
    _util("stacksalt_openstack.guard_edges")(globals(), _EDGES)


# ---------------------------------------------------------------------------------------------
# Arguments and plans: no Keystone call (tests/unit/openstack/test_openstack_identity_state.py)
# ---------------------------------------------------------------------------------------------


def _hint(word, known):
    """`` (did you mean 'x'?)`` when one of ``known`` is close to the misspelt ``word``."""
    return _util("stacksalt_openstack.did_you_mean")(word, known)


def _url_errors(where, urls):
    if not isinstance(urls, dict) or not urls:
        return [f"{where}:urls: must be a mapping of interfaces ({', '.join(INTERFACES)}) to URLs"]
    errors = []
    for iface, url in urls.items():
        if iface not in INTERFACES:
            errors.append(
                f"{where}:urls:{iface}: not an interface (known: {', '.join(INTERFACES)}){_hint(iface, INTERFACES)}"
            )
            continue
        parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            errors.append(f"{where}:urls:{iface}: must be an http(s) URL with a host, got {url!r}")
    return errors


def validate(kind, spec, where=None):
    """
    Check the arguments of one object (``kind``: service, endpoints, user, project or role;
    ``spec`` as the module doc and the states take them); return a list of errors, each naming
    ``where`` and the argument. A password is checked for its type and length, never printed.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.validate endpoints '{"name": "ironic", "urls": {"publik": "http://x:6385"}}'
    """
    if kind not in SPEC_KEYS:
        return [f"kind: must be one of {', '.join(SPEC_KEYS)}, got {kind!r}"]
    where = where or f"openstack_identity:{kind}"
    if not isinstance(spec, dict):
        return [f"{where}: must be a mapping"]
    errors = [
        f"{where}:{k}: unknown argument{_hint(k, SPEC_KEYS[kind])}"
        for k in sorted(set(spec) - SPEC_KEYS[kind])
    ]
    errors += [f"{where}:{k}: is required" for k in REQUIRED[kind] if spec.get(k) is None]
    limit = NAME_LIMITS.get(kind, 255)
    name = spec.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > limit):
        errors.append(f"{where}:name: must be a non-empty string of at most {limit} characters")
    for key in TEXT_KEYS:
        value = spec.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 255):
            errors.append(
                f"{where}:{key}: must be a non-empty string of at most 255 characters, got {value!r}"
            )
    for key in BOOL_KEYS:
        if spec.get(key) is not None and not isinstance(spec[key], bool):
            errors.append(f"{where}:{key}: must be true or false, got {spec[key]!r}")
    if spec.get("description") is not None and not isinstance(spec["description"], str):
        errors.append(f"{where}:description: must be a string")
    password = spec.get("password")
    if password is not None and (not isinstance(password, str) or not password):
        errors.append(f"{where}:password: must be a non-empty string (quote it in YAML)")
    elif password is not None and len(password) > MAX_PASSWORD:
        errors.append(f"{where}:password: longer than Keystone's {MAX_PASSWORD} characters")
    if kind == "user" and spec.get("project_domain") is not None and spec.get("default_project") is None:
        errors.append(f"{where}:project_domain: only with default_project")
    if "urls" in spec and spec["urls"] is not None:
        errors.extend(_url_errors(where, spec["urls"]))
    return errors


def _fields_plan(live, wanted, created):
    """Create with ``created``, or update the ``wanted`` fields (None: not managed) that differ."""
    wanted = {k: v for k, v in wanted.items() if v is not None}
    if live is None:
        return {"action": "create", "changes": {"created": created}, "body": wanted}
    changes = {k: {"old": live.get(k), "new": v} for k, v in wanted.items() if live.get(k) != v}
    body = {k: change["new"] for k, change in changes.items()}
    return {"action": "update" if changes else "none", "changes": changes, "body": body}


def _created(spec, *keys, **values):
    out = {k: spec[k] for k in keys if spec.get(k) is not None}
    out.update({k: v for k, v in values.items() if v is not None})
    return out


def _plan_service(spec, live):
    wanted = {"type": spec.get("service_type"), "description": spec.get("description")}
    wanted["enabled"] = spec.get("enabled", True)
    created = _created(spec, "name", "description", type=spec.get("service_type"), enabled=wanted["enabled"])
    item = _fields_plan(live, wanted, created)
    if live is None:
        item["body"]["name"] = spec["name"]
    return item


def _plan_project(spec, live, domain_id=None):
    wanted = {"description": spec.get("description"), "enabled": spec.get("enabled", True)}
    created = _created(spec, "name", "description", domain=spec.get("domain", "default"))
    created["enabled"] = wanted["enabled"]
    item = _fields_plan(live, wanted, created)
    if live is None:
        item["body"].update(name=spec["name"], domain_id=domain_id)
    return item


def _plan_endpoints(spec, live):
    """``live``: the service's endpoints (``endpoints``), None when the service does not exist."""
    region = spec.get("region", "RegionOne")
    mine = [e for e in live or [] if e["region"] == region]
    item = {"action": "none", "changes": {}, "operations": [], "notes": []}
    kept = set()
    for iface in (i for i in INTERFACES if i in spec["urls"]):
        url = spec["urls"][iface]
        found = sorted((e for e in mine if e["interface"] == iface), key=lambda e: (e["url"] != url, e["id"]))
        if not found:
            item["operations"].append({"op": "create", "interface": iface, "url": url})
            item["changes"][iface] = {"old": None, "new": url}
            continue
        endpoint = found[0]
        kept.add(endpoint["id"])
        if len(found) > 1 and not spec.get("purge"):
            others = ", ".join(e["id"] for e in found[1:])
            item["notes"].append(f"more {iface} endpoints in {region} ({others}): purge: true removes them")
        fields, change = {}, {"id": endpoint["id"]}
        if endpoint["url"] != url:
            fields["url"] = url
            change.update(old=endpoint["url"], new=url)
        if not endpoint["enabled"]:
            fields["enabled"] = True
            change["enabled"] = {"old": False, "new": True}
        if fields:
            item["operations"].append(
                {"op": "update", "id": endpoint["id"], "interface": iface, "fields": fields}
            )
            item["changes"][iface] = change
    if spec.get("purge"):
        removed = sorted((e for e in mine if e["id"] not in kept), key=lambda e: (e["interface"], e["id"]))
        item["operations"].extend(
            {"op": "delete", "id": e["id"], "interface": e["interface"]} for e in removed
        )
        if removed:
            item["changes"]["removed"] = [
                {"id": e["id"], "interface": e["interface"], "url": e["url"]} for e in removed
            ]
    if item["operations"]:
        item["action"] = "create" if live is None else "update"
    return item


def _plan_user(spec, live, domain_id=None, project_id=None, password_ok=None, old_project=None):
    enabled = spec.get("enabled", True)
    wanted = {"enabled": enabled, "email": spec.get("email"), "description": spec.get("description")}
    project = spec.get("default_project")
    has_password = spec.get("password") is not None
    notes = []
    if live is None:
        created = _created(spec, "name", "default_project", "email", "description")
        created.update(domain=spec.get("domain", "default"), enabled=enabled)
        item = _fields_plan(None, wanted, created)
        item["body"].update(name=spec["name"], domain_id=domain_id)
        if project:
            item["body"]["default_project_id"] = project_id
        if has_password:
            item["changes"]["password"] = "set"
    else:
        item = _fields_plan(live, wanted, None)
        if project and live.get("default_project_id") != project_id:
            item["changes"]["default_project"] = {"old": old_project, "new": project}
            item["body"]["default_project_id"] = project_id
        if has_password and not enabled:
            notes.append("the user is disabled: its password cannot be checked and is left as it is")
        elif has_password and not live.get("enabled", True):
            # A disabled user cannot authenticate: its password is set as it is enabled again.
            item["changes"]["password"] = "set"
        elif has_password and password_ok is False:
            item["changes"]["password"] = "changed"
        if item["changes"]:
            item["action"] = "update"
    item["set_password"] = "password" in item["changes"]
    item["notes"] = notes
    return item


def _plan_role(spec, live, assigned=False, known_roles=()):
    """``live``: the role (``roles`` entry) or None; ``assigned``: the user has it on the project."""
    item = {"action": "none", "changes": {}, "create_role": False, "comment": ""}
    if live is None and not spec.get("create_role"):
        item["action"] = "refuse"
        item["comment"] = (
            f"no role '{spec['name']}' in Keystone (known: {', '.join(sorted(known_roles)) or 'none'}): "
            "set create_role: true to create it"
        )
        return item
    if live is None:
        item["create_role"] = True
        item["changes"]["role_created"] = spec["name"]
    if live is None or not assigned:
        item["changes"]["granted"] = {"role": spec["name"], "user": spec["user"], "project": spec["project"]}
        item["action"] = "grant"
    return item


_PLANS = {
    "service": _plan_service,
    "endpoints": _plan_endpoints,
    "user": _plan_user,
    "project": _plan_project,
    "role": _plan_role,
}


def plan(kind, spec, live, **facts):
    """
    Compare the validated ``spec`` of one object with what Keystone has (``live``: the
    ``find_*`` result, the service's ``endpoints`` list, or None) and the ``facts`` the state
    looked up (``domain_id``; for a user ``project_id``, ``password_ok`` from ``check_password``,
    ``old_project``; for a role ``assigned`` and ``known_roles``). Returns ``{"action":
    "none"|"create"|"update"|"grant"|"refuse", "changes", ...}`` with what the real run
    sends (``body``, ``operations``, ``set_password``, ``create_role``); never a password.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.plan service '{"name": "ironic", "service_type": "baremetal"}' null
    """
    if kind not in _PLANS:
        raise SaltInvocationError(f"kind: must be one of {', '.join(_PLANS)}, got {kind!r}")
    return _PLANS[kind](spec, live, **facts)


# ---------------------------------------------------------------------------------------------
# API access
# ---------------------------------------------------------------------------------------------


def _conn(cloud=None):
    return _util("stacksalt_openstack.salt_connect")(__salt__, cloud)


def _identity(conn, method, url, **kwargs):
    return _util("stacksalt_openstack.request")(conn.identity, method, url, **kwargs)


def _list(conn, collection, **params):
    return _util("stacksalt_openstack.paged")(conn.identity, f"/{collection}", collection, params)


def _by_id(conn, collection, ref):
    path = f"/{collection}/{urllib.parse.quote(ref, safe='')}"
    found = _util("stacksalt_openstack.get_or_none")(conn.identity, path)
    return found[collection[:-1]] if found else None


def _one(found, what):
    if len(found) > 1:
        ids = ", ".join(item["id"] for item in found)
        raise CommandExecutionError(f"{len(found)} {what} ({ids}): remove the extra ones or be more specific")
    return found[0] if found else None


def _create(conn, collection, body):
    return _identity(conn, "POST", f"/{collection}", json={collection[:-1]: body}).json()[collection[:-1]]


def _patch(conn, collection, obj_id, body):
    path = f"/{collection}/{obj_id}"
    return _identity(conn, "PATCH", path, json={collection[:-1]: body}).json()[collection[:-1]]


def _text(raw, key):
    return raw.get(key) or ""


def _plain_service(raw):
    fields = ("id", "name", "type", "enabled")
    return dict({k: raw.get(k) for k in fields}, description=_text(raw, "description"))


def _plain_project(raw):
    fields = ("id", "name", "domain_id", "enabled")
    return dict({k: raw.get(k) for k in fields}, description=_text(raw, "description"))


def _plain_user(raw):
    fields = ("id", "name", "domain_id", "default_project_id", "enabled", "email")
    return dict({k: raw.get(k) for k in fields}, description=_text(raw, "description"))


def _plain_endpoint(raw):
    fields = ("id", "interface", "url", "service_id", "enabled")
    return dict({k: raw.get(k) for k in fields}, region=raw.get("region_id") or raw.get("region"))


def find_domain(domain, cloud=None):
    """
    The domain with id or name ``domain`` as ``{"id", "name", "enabled"}``, or None.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.find_domain Default
    """
    conn = _conn(cloud)
    raw = _by_id(conn, "domains", domain) or _one(
        _list(conn, "domains", name=domain), f"domains named '{domain}'"
    )
    return {k: raw.get(k) for k in ("id", "name", "enabled")} if raw else None


def regions(cloud=None):
    """
    The ids of Keystone's regions.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.regions
    """
    return sorted(r["id"] for r in _list(_conn(cloud), "regions"))


def roles(cloud=None):
    """
    Keystone's global roles as ``{"id", "name"}``.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.roles
    """
    return sorted(
        ({"id": r["id"], "name": r["name"]} for r in _list(_conn(cloud), "roles")), key=lambda r: r["name"]
    )


def find_service(name, service_type=None, cloud=None):
    """
    The service named ``name`` (``{"id", "name", "type", "description", "enabled"}``) or None.
    Of several services of that name, the one of ``service_type``; two that remain are an error.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.find_service ironic service_type=baremetal
    """
    named = [s for s in _list(_conn(cloud), "services") if s.get("name") == name]
    typed = [s for s in named if s.get("type") == service_type]
    raw = _one(typed or named, f"services named '{name}'")
    return _plain_service(raw) if raw else None


def endpoints(service_id, region=None, cloud=None):
    """
    The endpoints of a service (``{"id", "interface", "url", "region", "enabled", "service_id"}``),
    in ``region`` only when given.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.endpoints 3f57255bedcf46db9faa4b2c2c6412ad region=RegionOne
    """
    found = [_plain_endpoint(e) for e in _list(_conn(cloud), "endpoints", service_id=service_id)]
    return sorted(
        (e for e in found if region in (None, e["region"])), key=lambda e: (e["interface"], e["id"])
    )


def find_project(project, domain="default", cloud=None):
    """
    The project with id ``project``, or named ``project`` in domain id ``domain``
    (``{"id", "name", "domain_id", "description", "enabled"}``), or None.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.find_project service
    """
    conn = _conn(cloud)
    raw = _by_id(conn, "projects", project) or _one(
        _list(conn, "projects", name=project, domain_id=domain), f"projects named '{project}'"
    )
    return _plain_project(raw) if raw else None


def find_user(name, domain="default", cloud=None):
    """
    The user named ``name`` in domain id ``domain`` (``{"id", "name", "domain_id",
    "default_project_id", "enabled", "email", "description"}``), or None.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.find_user ironic
    """
    raw = _one(_list(_conn(cloud), "users", name=name, domain_id=domain), f"users named '{name}'")
    return _plain_user(raw) if raw else None


def role_assigned(role_id, user_id, project_id, cloud=None):
    """
    True when the user has the role on the project by a direct assignment.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.role_assigned <role id> <user id> <project id>
    """
    params = {"role.id": role_id, "user.id": user_id, "scope.project.id": project_id}
    return bool(_list(_conn(cloud), "role_assignments", **params))


def check_password(name, password, domain="default", cloud=None):
    """
    True when Keystone accepts ``password`` for user ``name`` of domain id ``domain`` (an
    unscoped password authentication against the cloud's ``auth_url``, with its CA settings),
    False when it refuses it (401). The password is neither returned nor logged.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.check_password ironic "$(cat /root/ironic-password)"
    """
    conn = _conn(cloud)
    auth_url = (conn.config.get_auth_args() or {}).get("auth_url")
    if not auth_url:
        raise CommandExecutionError(
            f"the cloud has no auth_url: the password of user '{name}' cannot be checked by authenticating"
        )
    session = conn.session
    return _util("stacksalt_openstack.authenticates")(
        auth_url,
        password,
        verify=session.verify,
        cert=session.cert,
        timeout=session.timeout or 30,
        username=name,
        user_domain_id=domain,
    )


def create_service(name, service_type, description=None, enabled=True, cloud=None):
    """
    Create a service (a catalog entry without endpoints).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.create_service ironic baremetal description="Bare metal"
    """
    body = {"name": name, "type": service_type, "enabled": enabled}
    if description is not None:
        body["description"] = description
    return _plain_service(_create(_conn(cloud), "services", body))


def update_service(name, service_id, fields, cloud=None):
    """
    Set ``fields`` (type, description, enabled) of a service.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.update_service ironic <id> '{"description": "Bare metal"}'
    """
    return _plain_service(_patch(_conn(cloud), "services", service_id, fields))


def delete_service(name, service_id, cloud=None):
    """
    Delete a service; Keystone deletes its endpoints with it.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.delete_service ironic <id>
    """
    _identity(_conn(cloud), "DELETE", f"/services/{service_id}")
    return True


def create_endpoint(service_id, interface, url, region, cloud=None):
    """
    Create an endpoint of a service.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.create_endpoint <service id> public https://cloud:6385 RegionOne
    """
    body = {
        "service_id": service_id,
        "interface": interface,
        "url": url,
        "region_id": region,
        "enabled": True,
    }
    return _plain_endpoint(_create(_conn(cloud), "endpoints", body))


def update_endpoint(endpoint_id, fields, cloud=None):
    """
    Set ``fields`` (url, enabled) of an endpoint in place: its id stays.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.update_endpoint <id> '{"url": "https://cloud:6385"}'
    """
    return _plain_endpoint(_patch(_conn(cloud), "endpoints", endpoint_id, fields))


def delete_endpoint(endpoint_id, cloud=None):
    """
    Delete an endpoint.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.delete_endpoint <id>
    """
    _identity(_conn(cloud), "DELETE", f"/endpoints/{endpoint_id}")
    return True


def create_project(name, domain_id="default", description=None, enabled=True, cloud=None):
    """
    Create a project in domain id ``domain_id``.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.create_project service description="Service users"
    """
    body = {"name": name, "domain_id": domain_id, "enabled": enabled}
    if description is not None:
        body["description"] = description
    return _plain_project(_create(_conn(cloud), "projects", body))


def update_project(name, project_id, fields, cloud=None):
    """
    Set ``fields`` (description, enabled) of a project.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.update_project service <id> '{"enabled": true}'
    """
    return _plain_project(_patch(_conn(cloud), "projects", project_id, fields))


def create_user(name, domain_id="default", password=None, fields=None, cloud=None):
    """
    Create a user with ``fields`` (default_project_id, enabled, email, description) and, when
    given, a password. The password is not returned.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.create_user ironic fields='{"email": "ironic@example.org"}'
    """
    body = dict(fields or {}, name=name, domain_id=domain_id)
    if password is not None:
        body["password"] = password
    return _plain_user(_create(_conn(cloud), "users", body))


def update_user(name, user_id, fields=None, password=None, cloud=None):
    """
    Set ``fields`` of a user and, when given, its password (as the admin: the old one is not
    needed). The password is not returned.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.update_user ironic <id> '{"enabled": true}'
    """
    body = dict(fields or {})
    if password is not None:
        body["password"] = password
    return _plain_user(_patch(_conn(cloud), "users", user_id, body))


def delete_user(name, user_id, cloud=None):
    """
    Delete a user; Keystone removes its role assignments with it.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.delete_user ironic <id>
    """
    _identity(_conn(cloud), "DELETE", f"/users/{user_id}")
    return True


def create_role(name, cloud=None):
    """
    Create a global role.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.create_role service
    """
    raw = _create(_conn(cloud), "roles", {"name": name})
    return {"id": raw["id"], "name": raw["name"]}


def grant_role(role_id, user_id, project_id, cloud=None):
    """
    Assign a role to a user on a project (a repeat is harmless).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_identity.grant_role <role id> <user id> <project id>
    """
    _identity(_conn(cloud), "PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}")
    return True
