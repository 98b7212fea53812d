"""The ironic formula: pillar.example matches schema.yaml, bad pillars are caught, and the
formula renders with the example pillar (salt-call --local state.show_sls)."""

import json
import pathlib
import subprocess
import sys

import jsonschema
import pytest
import yaml

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
FORMULA = REPO / "salt" / "ironic"


def schema():
    return yaml.safe_load((FORMULA / "schema.yaml").read_text())


def example():
    return yaml.safe_load((FORMULA / "pillar.example").read_text())


def test_pillar_example_matches_schema():
    jsonschema.validate(example()["ironic"], schema())


@pytest.mark.parametrize(
    "patch",
    [
        {"enabled_hardware_types": ["pxe_ssh"]},
        {"database": {"connection": "oracle://x"}},
        {"config": {"DEFAULT": {"admin_password": "x"}}},
        {"conductor": {"automated_clean": "yes"}},
        {"nodes": [{"name": "n", "driver": "ipmi", "ports": [{"address": "zz"}]}]},
    ],
)
def test_bad_pillars_are_rejected(patch):
    data = dict(example()["ironic"], **patch)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema())


def test_formula_renders_with_example_pillar(tmp_path):
    (tmp_path / "pillar").mkdir()
    (tmp_path / "pillar" / "ironic.sls").write_text((FORMULA / "pillar.example").read_text())
    (tmp_path / "pillar" / "top.sls").write_text("base:\n  '*':\n    - ironic\n")
    (tmp_path / "minion").write_text(
        yaml.safe_dump(
            {
                "file_client": "local",
                "id": "render",
                "root_dir": str(tmp_path / "root"),
                "file_roots": {"base": [str(REPO / "salt")]},
                "pillar_roots": {"base": [str(tmp_path / "pillar")]},
                "module_dirs": [str(REPO / "_modules")],
                "states_dirs": [str(REPO / "_states")],
                "utils_dirs": [str(REPO / "_utils")],
            }
        )
    )
    salt_call = pathlib.Path(sys.executable).parent / "salt-call"
    proc = subprocess.run(
        [str(salt_call), "-c", str(tmp_path), "--local", "state.show_sls", "ironic", "--out=json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    states = json.loads(proc.stdout)["local"]
    assert "ironic-pillar-schema-validated" in states
    assert "ironic-service-drivers-registered" in states
    nodes = states["ironic-nodes-enrolled"]["ironic_node"]
    assert {"pillar_key": "ironic:nodes"} in nodes
