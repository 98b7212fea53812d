"""
Rendered SLS holds no cephx key: the keyring files are rendered on the minion by a template that
reads each key from pillar by its key path, and ceph.conf's context carries no key. Salt's real
compilers (no daemons), the formula's pillar.example.
"""

import json
import pathlib

import pytest
import yaml
from saltfactories.utils.functional import Loaders

from tests.support.loaders import loader_opts

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
EXAMPLE = yaml.safe_load((REPO / "salt/ceph/pillar.example").read_text())


def key_values(keys):
    if isinstance(keys, dict):
        for value in keys.values():
            yield from key_values(value)
    elif keys:
        yield keys


@pytest.fixture
def loaders(tmp_path):
    pillar_root = tmp_path / "pillar"
    pillar_root.mkdir()
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - ceph\n")
    (pillar_root / "ceph.sls").write_text(yaml.safe_dump(EXAMPLE))
    loaders = Loaders(loader_opts(tmp_path / "minion", "ceph1", pillar_roots=[pillar_root]))
    yield loaders
    loaders.reset_state()


def test_rendered_ceph_sls_holds_no_key(loaders):
    keys = list(key_values(EXAMPLE["ceph"]["keys"]))
    assert len(keys) >= 4, keys
    states = loaders.modules.state.show_sls("ceph")
    assert isinstance(states, dict), states
    for sid in (
        "ceph-client-conf-managed",
        "ceph-client-admin-keyring-managed",
        "ceph-mon-bootstrap-keyring-managed",
        "ceph-osd-bootstrap-keyring-managed",
        "ceph-keyrings-client-glance-present",
    ):
        assert sid in states, sorted(states)
    # No exception: the validation state reads its own pillar on a minion, ceph_auth.present
    # reads its key by pillar path, ceph.osd's keyring comes from the template.
    assert [k for k in keys if k in json.dumps(states)] == []
    for sid in (
        "ceph-client-admin-keyring-managed",
        "ceph-mon-bootstrap-keyring-managed",
        "ceph-osd-bootstrap-keyring-managed",
    ):
        assert {"show_changes": False} in states[sid]["file"]


def test_keyring_template_reads_the_keys_from_pillar(loaders):
    template = (REPO / "salt/ceph/client/files/keyring.jinja").read_text()
    entries = [
        {"entity": "mon.", "key_pillar": "ceph:keys:mon", "caps": {"mon": "allow *"}},
        {
            "entity": "client.admin",
            "key_pillar": "ceph:keys:admin",
            "caps": {"osd": "allow *", "mon": "allow *"},
        },
    ]
    out = loaders.modules.file.apply_template_on_contents(
        contents=template, template="jinja", context={"entries": entries}, defaults=None, saltenv="base"
    )
    keys = EXAMPLE["ceph"]["keys"]
    assert out.startswith("[mon.]\n")
    assert out.strip() == (
        f'[mon.]\nkey = {keys["mon"]}\ncaps mon = "allow *"\n'
        f'[client.admin]\nkey = {keys["admin"]}\ncaps mon = "allow *"\ncaps osd = "allow *"'
    )


def test_keyring_state_writes_the_key_and_never_shows_it(loaders, tmp_path):
    """file.managed as the formula calls it: the file gets the key, no return shows it, a
    second run changes nothing."""
    key = EXAMPLE["ceph"]["keys"]["clients"]["nova"]
    path = tmp_path / "ceph.client.nova.keyring"
    args = {
        "name": str(path),
        "source": "salt://ceph/client/files/keyring.jinja",
        "template": "jinja",
        "context": {"entries": [{"entity": "client.nova", "key_pillar": "ceph:keys:clients:nova"}]},
        "mode": "0640",
        "show_changes": False,
    }
    planned = loaders.states.file.managed(test=True, **args)
    assert planned.result is None and not path.exists()
    first = loaders.states.file.managed(**args)
    assert first.result is True and first.changes
    assert path.read_text().strip() == f"[client.nova]\nkey = {key}"
    path.write_text(path.read_text().replace("key =", "key  =  "))  # a nearby edit: no diff shown
    fixed = loaders.states.file.managed(**args)
    assert fixed.result is True and fixed.changes
    again = loaders.states.file.managed(**args)
    assert again.result is True and again.changes == {}
    for ret in (planned, first, fixed, again):
        assert key not in json.dumps({"changes": ret.changes, "comment": ret.comment}, default=str)
