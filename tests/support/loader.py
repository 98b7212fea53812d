"""
The one way tests load the repository's loader modules without Salt's loader (unit tier).

Salt's loader imports `_modules/x.py` under its own package name and gives the module its
dunders (`__salt__`, `__opts__`, `__utils__`, `__context__`, `__pillar__`, `__grains__`,
`__env__`). `load("states", "openstack_flavor", salt={...})` does the same: a fresh module
object each call, so a test's mocks never leak into another test. `__utils__` is what Salt
builds from `_utils/`: every public function of every util, as `<virtualname>.<function>`
(the modules reach their sibling utils through it, see their `_util`), unless the test
passes its own.

- `load_file(path)`: any Python file (a lab harness, a helper script), no dunders.
- `load(kind, name, **dunders)`: `kind` is `modules`, `states`, `utils` or `runners`.
- `utils_dunder()`: the `__utils__` mapping Salt would build from `_utils/`.
- the `salt_loader` fixture (registered in tests/conftest.py): `salt_loader.state(name, ...)`,
  `.module(...)`, `.util(...)`, `.runner(...)`, the same as `load` within one test.
- the `testmode` fixture: each test that takes it runs twice, with `__opts__["test"]` False
  and True (`salt_loader.state(name, opts={"test": testmode})`), and asserts the exact return
  of each mode (the style of saltext-vault's state tests).

For Salt's real loader over these directories (functional tier) see tests/support/loaders.py.
"""

import functools
import importlib.util
import inspect
import itertools
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
KINDS = {"modules": "_modules", "states": "_states", "utils": "_utils", "runners": "_runners"}
DUNDERS = ("__salt__", "__opts__", "__utils__", "__context__", "__pillar__", "__grains__", "__env__")
_SERIAL = itertools.count()


def load_file(path, name=None):
    """Execute the Python file `path` as a new module (named `name`, default a unique one)."""
    path = pathlib.Path(path)
    name = name or f"stacksalt_test_{path.stem}_{next(_SERIAL)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def path_of(kind, name):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return REPO / KINDS[kind] / f"{name}.py"


def _public_functions(module):
    """What Salt's loader exposes of a module: its public functions (imported ones included)."""
    for attr in dir(module):
        if attr.startswith("_"):
            continue
        func = getattr(module, attr)
        if inspect.isfunction(func) or isinstance(func, functools.partial):
            yield attr, func


@functools.cache
def _util_modules():
    return {path.stem: load_file(path) for path in sorted((REPO / "_utils").glob("*.py"))}


def utils_dunder(names=None):
    """
    `__utils__` as Salt builds it from `_utils/` (or only from the utils in `names`):
    `{"stacksalt_openstack.request": <function>, ...}`. The util modules are loaded once per
    session (they hold no per-test state but their connection cache, which unit tests never fill).
    """
    out = {}
    for stem, module in _util_modules().items():
        virtualname = getattr(module, "__virtualname__", stem)
        if names is not None and stem not in names and virtualname not in names:
            continue
        out.update({f"{virtualname}.{attr}": func for attr, func in _public_functions(module)})
    return out


def util(name):
    """The session's copy of util `_utils/<name>.py` (the one behind `utils_dunder`)."""
    return _util_modules()[name]


def load(kind, name, *, salt=None, opts=None, utils=None, context=None, pillar=None, grains=None, env="base"):
    """
    A fresh copy of `_<kind>/<name>.py` with Salt's dunders set: `__salt__` (default `{}`),
    `__opts__` (default `{"test": False, "id": "minion"}` updated with `opts`), `__utils__`
    (default `utils_dunder()`), `__context__`, `__pillar__`, `__grains__`, `__env__`; then
    the module's `__init__(opts)`, if it has one, as Salt's loader calls it.
    """
    module = load_file(path_of(kind, name), f"stacksalt_test_{kind}_{name}_{next(_SERIAL)}")
    module.__salt__ = {} if salt is None else salt
    module.__opts__ = {"test": False, "id": "minion", **(opts or {})}
    module.__utils__ = utils_dunder() if utils is None else utils
    module.__context__ = {} if context is None else context
    module.__pillar__ = {} if pillar is None else pillar
    module.__grains__ = {} if grains is None else grains
    module.__env__ = env
    init = getattr(module, "__init__", None)
    if inspect.isfunction(init):  # as Salt's loader does once the dunders are set
        init(module.__opts__)
    return module


class SaltLoader:
    """Loads modules as `load` does; what a test loaded is listed in `loaded`."""

    def __init__(self):
        self.loaded = []

    def load(self, kind, name, **dunders):
        module = load(kind, name, **dunders)
        self.loaded.append(module)
        return module

    def module(self, name, **dunders):
        return self.load("modules", name, **dunders)

    def state(self, name, **dunders):
        return self.load("states", name, **dunders)

    def util(self, name, **dunders):
        return self.load("utils", name, **dunders)

    def runner(self, name, **dunders):
        return self.load("runners", name, **dunders)


@pytest.fixture
def salt_loader():
    """Load `_modules/`, `_states/`, `_utils/`, `_runners/` files with Salt's dunders (see above)."""
    return SaltLoader()


@pytest.fixture(params=(False, True), ids=("run", "test"))
def testmode(request):
    """False for a real run, True for `test=True`: the value of the state's `__opts__["test"]`."""
    return request.param
