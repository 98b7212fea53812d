"""The mariadb formula: pillar.example matches schema.yaml, bad pillars are caught with their key
path, the states render from the example, and no password is in a rendered state."""

import json
import pathlib

import jsonschema
import pytest
import yaml

from tests.support import formula

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
FORMULA = REPO / "salt" / "mariadb"


def schema():
    return yaml.safe_load((FORMULA / "schema.yaml").read_text())


def example():
    return yaml.safe_load((FORMULA / "pillar.example").read_text())


def errors(data):
    return [
        (list(e.absolute_path), e.message)
        for e in jsonschema.Draft202012Validator(schema()).iter_errors(data)
    ]


def test_example_matches_schema():
    jsonschema.Draft202012Validator.check_schema(schema())
    assert errors(example()["mariadb"]) == []


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        (
            {"users": {"ironic": {"grants": {"ironic": ["SUPER"]}}}},
            ["users", "ironic", "grants", "ironic", 0],
        ),
        ({"users": {"ironic": {"host": "a b"}}}, ["users", "ironic", "host"]),
        ({"databases": {"bad name": {}}}, ["databases"]),
        ({"admin": {"port": "3306"}}, ["admin", "port"]),
        ({"admin": {"password": "x"}}, ["admin"]),
        (
            {"databases": {"ironic": {"character_set": "utf8; DROP"}}},
            ["databases", "ironic", "character_set"],
        ),
    ],
)
def test_bad_pillars_are_rejected(patch, path):
    data = example()["mariadb"]
    data.update(patch)
    found = errors(data)
    assert found and any(p == path for p, _ in found), found


def test_formula_renders_and_holds_no_password(tmp_path):
    states = formula.show_sls(
        tmp_path, (FORMULA / "pillar.example").read_text(), "mariadb", pillar_name="mariadb"
    )
    user = formula.state_args(states, "mariadb-users-ironic-present")
    assert user["password_pillar"] == "mariadb:user_passwords:ironic"
    assert user["grants"] == {"ironic": ["ALL"]} and user["host"] == "%"
    assert user["connection_host"] == "127.0.0.1" and user["connection_port"] == 3306
    db = formula.state_args(states, "mariadb-databases-ironic-present")
    assert db["character_set"] == "utf8mb4"
    assert "mariadb-pillar-user-passwords-present" not in states
    others = {k: v for k, v in states.items() if k != "mariadb-pillar-schema-validated"}
    assert "FAKE-ironic-database-password" not in json.dumps(others)


def test_a_user_without_its_password_stops_the_run(tmp_path):
    pillar = example()
    del pillar["mariadb"]["user_passwords"]
    states = formula.show_sls(tmp_path, yaml.safe_dump(pillar), "mariadb", pillar_name="mariadb")
    failing = json.dumps(states["mariadb-pillar-user-passwords-present"])
    assert "mariadb:user_passwords:ironic" in failing
