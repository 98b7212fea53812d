"""The openstack formula's backups component (salt-call --local state.show_sls): one
instance_backup.policy per `openstack:backups:<name>`, with the policy's keys as its arguments
and the formula's cloud unless the policy names one; none without the pillar."""

import pathlib

import jsonschema
import pytest
import yaml

from tests.support import formula

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]


def render(tmp_path, openstack):
    return formula.show_sls(tmp_path, yaml.safe_dump({"openstack": openstack}), "openstack.backups")


def test_each_policy_is_one_scheduled_policy_state(tmp_path):
    states = render(
        tmp_path,
        {
            "cloud": "demo",
            "backups": {
                "nightly": {
                    "servers": ["web1"],
                    "backup_type": "daily",
                    "retention": {"daily": 3, "weekly": 2},
                    "schedule": {"cron": "0 2 * * *"},
                },
                "weekly": {
                    "tags": ["backup"],
                    "backup_type": "weekly",
                    "rotation": 4,
                    "schedule": {"cron": "0 2 * * 6"},
                    "run_on": "backup1",
                    "cloud": "other",
                },
            },
        },
    )
    nightly = formula.state_args(states, "openstack-backup-nightly-policy", "instance_backup")
    nightly.pop("order", None)  # Salt's own, added by show_sls
    assert nightly == {
        "name": "nightly",
        "servers": ["web1"],
        "backup_type": "daily",
        "retention": {"daily": 3, "weekly": 2},
        "schedule": {"cron": "0 2 * * *"},
        "cloud": "demo",
        "require": [{"pillar_schema": "openstack-pillar-schema-validated"}],
    }
    weekly = formula.state_args(states, "openstack-backup-weekly-policy", "instance_backup")
    assert (weekly["cloud"], weekly["run_on"], weekly["rotation"]) == ("other", "backup1", 4)


def test_no_policy_without_the_pillar(tmp_path):
    states = render(tmp_path, {"cloud": "demo"})
    assert not [sid for sid in states if sid.startswith("openstack-backup-")], states


def test_the_sites_policy_is_in_the_formulas_example_shape():
    site = yaml.safe_load((REPO / "pillar/roles/cloud-admin.sls").read_text())["openstack"]["backups"]
    example = yaml.safe_load((REPO / "salt/openstack/pillar.example").read_text())["openstack"]["backups"]
    schema = yaml.safe_load((REPO / "salt/openstack/schema.yaml").read_text())
    for policies in (site, example):
        jsonschema.validate({"backups": policies}, schema)
