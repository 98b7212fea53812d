"""
stacksalt as a Salt extension: the loader modules of this repository (``_modules/``,
``_states/``, ``_utils/``, ``_runners/``), installed as ``saltext.stacksalt.modules``,
``.states``, ``.utils`` and ``.runners``. Salt finds them through the ``salt.loader`` entry
point, which names this package: its loader looks here for one directory per module type.
Nothing else lives here; the code stays at the top of the repository (see pyproject.toml).
"""

import importlib


def util(name):
    """
    The function ``name`` (``"stacksalt_openstack.request"``) of the utils installed with this
    package. Salt's loader builds ``__utils__`` from synced and configured directories only,
    never from an extension, so the modules ask here when ``__utils__`` lacks a stacksalt util.
    """
    module, _, func = name.partition(".")
    return getattr(importlib.import_module(f"{__name__}.utils.{module}"), func)
