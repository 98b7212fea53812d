"""
Describe how stacksalt manages this host: site, roles and the facts an operator checks
first. The ``host`` formula writes the result to ``/etc/stacksalt/release.yaml``.

Works the same under a minion and under salt-ssh (where custom modules see no pillar:
the site and roles are passed as arguments).
"""

from salt.exceptions import SaltInvocationError

__virtualname__ = "stacksalt_release"


def __virtual__():
    return __virtualname__


def describe(site, roles, managed_by="stacksalt"):
    """
    Return the release description of this host for ``site`` and ``roles``.

    CLI Example:

    .. code-block:: bash

        salt '*' stacksalt_release.describe demo '[salt-minion, ironic]'
    """
    if not isinstance(site, str) or not site:
        raise SaltInvocationError("site: a non-empty site name is required")
    if isinstance(roles, str):
        roles = [r for r in roles.split(",") if r]
    if not isinstance(roles, list | tuple) or not all(isinstance(r, str) for r in roles):
        raise SaltInvocationError("roles: a list of role names is required")
    return {
        "managed_by": managed_by,
        "site": site,
        "host": __grains__.get("id"),
        "roles": sorted(set(roles)),
        "os": __grains__.get("osfinger") or __grains__.get("os"),
    }
