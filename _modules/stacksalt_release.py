"""
Describe how stacksalt manages this host: site, roles and the facts an operator checks
first. The ``host`` formula writes the result to ``/etc/stacksalt/release.yaml``.

Works the same under a minion and under salt-ssh (where custom modules see no pillar:
the site and roles are passed as arguments).
"""

import os

from salt.exceptions import SaltInvocationError

__virtualname__ = "stacksalt_release"

#: The release of this repository's modules: the one place it is written (the wheel's version
#: is read from here by pyproject.toml, and CHANGELOG.md names it).
VERSION = "0.2.0"


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


def _source(path):
    """How this module reached the minion: the installed extension, a sync, or a module_dirs path."""
    parts = os.path.normpath(path).split(os.sep)
    if parts[-3:-1] == ["stacksalt", "modules"] and "saltext" in parts:
        return "wheel"
    extmods = os.path.normpath(__opts__.get("extension_modules") or "")
    if extmods and os.path.normpath(path).startswith(extmods + os.sep):
        return "synced"
    return "module_dirs"


def version():
    """
    The release of stacksalt's modules on this host and how they got here: ``wheel`` (the
    ``stacksalt`` package installed with pip, found by Salt through its ``salt.loader`` entry
    point), ``synced`` (``saltutil.sync_all`` from the master's fileserver or gitfs) or
    ``module_dirs`` (a path in the minion's config, as the test tiers use).

    CLI Example:

    .. code-block:: bash

        salt '*' stacksalt_release.version
    """
    return {
        "version": VERSION,
        "source": _source(__file__),
        "path": os.path.dirname(os.path.abspath(__file__)),
    }
