"""The ceph formula's schema: pillar.example passes; bad pillars fail with the key path."""

import copy
import pathlib

import pytest
import yaml

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
schema_lib = load_file(REPO / "_utils/stacksalt_schema.py")
SCHEMA_PATH = REPO / "salt/ceph/schema.yaml"
SCHEMA = schema_lib.load_schema(SCHEMA_PATH.read_text(), source=str(SCHEMA_PATH))
EXAMPLE = yaml.safe_load((REPO / "salt/ceph/pillar.example").read_text())["ceph"]


def errors(data):
    return schema_lib.validate(data, SCHEMA, root="ceph")


def test_pillar_example_is_valid():
    assert errors(EXAMPLE) == []


def with_(path, value):
    data = copy.deepcopy(EXAMPLE)
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    "path,value,where",
    [
        (["fsid"], "not-a-uuid", "ceph:fsid"),
        (["mon_host"], ["ceph1.example"], "ceph:mon_host"),
        (["mon"], {"enabled": True, "addr": "ceph1"}, "ceph:mon:addr"),
        (["mons"], ["ceph1", "ceph1"], "ceph:mons"),
        (["mons"], ["ceph1;rm -rf /"], "ceph:mons:0"),
        (
            ["osd", "devices"],
            [{"uuid": "1f3c9127-fee8-45b4-89a0-9753606ea81d", "type": "file", "path": "/x"}],
            "ceph:osd:devices",
        ),
        (
            ["osd", "devices"],
            [{"uuid": "1f3c9127-fee8-45b4-89a0-9753606ea81d", "type": "disk", "path": "/x"}],
            "ceph:osd:devices",
        ),
        (["pools", "items", "images", "size"], 0, "ceph:pools:items:images:size"),
        (
            ["keyrings", "clients", "glance", "caps"],
            {"osd": 'profile rbd" pool=images'},
            "ceph:keyrings:clients:glance:caps",
        ),
        (["keyrings", "clients", "glance", "caps"], {"rgw": "allow *"}, "ceph:keyrings:clients:glance:caps"),
        (["client", "keyrings"], {"glance": {"mode": "0644"}}, "ceph:client:keyrings:glance:mode"),
        (["keys", "clients", "glance"], "short", "ceph:keys:clients:glance"),
        (["config", "global", "rgw keystone admin password"], "x", "ceph:config:global"),
        (["config", "bogus"], {"a": "b"}, "ceph:config"),
    ],
)
def test_bad_pillar_is_rejected_with_its_key_path(path, value, where):
    found = errors(with_(path, value))
    assert found, f"{path}={value!r} accepted"
    assert any(where in e for e in found), found


def test_errors_never_print_keys():
    leaked = "AQDP7gVr10DlGBAAW3kWCSCHYDrnMoxSjraiMw=="
    data = with_(["keys", "clients", "glance"], leaked + "x")
    found = errors(data)
    assert found and not any(leaked in e for e in found), found
