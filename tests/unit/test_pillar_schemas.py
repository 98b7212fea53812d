"""Pillar schemas: the bad-pillar corpus is rejected with the key path and never echoes the
planted value; good pillars pass."""

import functools
import pathlib

import pytest
import yaml

from tests.support.loader import load_file

REPO = pathlib.Path(__file__).resolve().parents[2]
CORPUS = yaml.safe_load((REPO / "tests/unit/data/bad_pillars.yaml").read_text())


schema_lib = load_file(REPO / "_utils/stacksalt_schema.py", "stacksalt_schema")


@functools.cache
def _schema(formula):
    path = REPO / "salt" / formula / "schema.yaml"
    return schema_lib.load_schema(path.read_text(), source=str(path))


CORPUS_FORMULAS = ("salt", "host", "ironic", "ceph", "openstack")


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 150
    for formula in CORPUS_FORMULAS:
        assert sum(c["formula"] == formula for c in CORPUS) >= 30, formula
    names = [c["name"] for c in CORPUS]
    assert len(set(names)) == len(names), "case names are test ids: they must be unique"


def _leaves(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


@pytest.mark.parametrize("case", CORPUS, ids=[c["name"] for c in CORPUS])
def test_bad_pillar_is_rejected_with_its_key_path(case):
    # The planted value is really in the pillar (a case cannot pass by not planting it).
    assert any(case["secret"] in str(leaf) for leaf in _leaves(case["pillar"])), case["name"]
    errors = schema_lib.validate(case["pillar"], _schema(case["formula"]), root=case["formula"])
    assert errors, f"{case['name']}: accepted"
    at_path = [e for e in errors if e.startswith(case["error"] + ": ")]
    assert at_path, errors
    if "reason" in case:
        assert any(case["reason"] in e for e in at_path), errors
    assert not any(case["secret"] in e for e in errors), errors


FORMULAS_WITH_SCHEMA = sorted(p.parent.name for p in (REPO / "salt").glob("*/schema.yaml"))


@pytest.mark.parametrize("formula", FORMULAS_WITH_SCHEMA)
def test_pillar_example_is_valid(formula):
    example = REPO / "salt" / formula / "pillar.example"
    assert example.exists(), f"salt/{formula} ships a schema but no pillar.example"
    data = yaml.safe_load(example.read_text()) or {}
    assert schema_lib.validate(data.get(formula, {}), _schema(formula), root=formula) == []


def test_mask_secrets_hides_nested_secret_values():
    masked = schema_lib.mask_secrets({"a": {"ipmi_password": "x", "user": "u"}, "l": [{"token": "t"}]})
    assert masked == {"a": {"ipmi_password": "**********", "user": "u"}, "l": [{"token": "**********"}]}


def test_invalid_schema_is_reported():
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        schema_lib.load_schema("type: 12\n", source="x")
