"""Pure logic of the owner rule (instance_backup) and of flavor create's lost-answer check."""

import pathlib

import pytest
from salt.exceptions import CommandExecutionError

from tests.support.loader import load

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]


backup = load("modules", "instance_backup")
flavor = load("modules", "openstack_flavor")

SERVER = {"id": "srv", "tenant_id": "proj-a"}


def test_only_the_servers_project_images_are_its_backups():
    images = [
        {"id": "mine", "owner": "proj-a"},
        {"id": "planted", "owner": "proj-b"},
        {"id": "ownerless"},
    ]
    assert [i["id"] for i in backup._owned(images, SERVER)] == ["mine"]


def test_a_server_without_a_project_owns_nothing():
    # Fail closed: without the project nothing can be told apart, so nothing is deleted or restored.
    assert backup._owned([{"id": "x", "owner": None}], {"id": "srv"}) == []


BODY = {
    "name": "m1.lost",
    "vcpus": 1,
    "ram": 64,
    "disk": 1,
    "OS-FLV-EXT-DATA:ephemeral": 0,
    "swap": 0,
    "os-flavor-access:is_public": True,
}


def live(**over):
    raw = dict(BODY, id="fid", swap="")  # Nova says "" for no swap before 2.75
    raw.update(over)
    return raw


@pytest.fixture
def found(monkeypatch):
    def set_found(raw):
        monkeypatch.setattr(flavor, "_find", lambda conn, name: raw)

    return set_found


def test_lost_answer_with_no_flavor_retries(found):
    found(None)
    assert flavor._created_by(None, BODY) is None


def test_lost_answer_adopts_the_flavor_it_made(found):
    found(live())
    assert flavor._created_by(None, BODY) == {"flavor": live()}


@pytest.mark.parametrize(
    ("over", "field"), [({"ram": 128}, "ram"), ({"vcpus": 2}, "vcpus"), ({"swap": 512}, "swap")]
)
def test_a_flavor_with_other_values_is_a_conflict_not_adopted(found, over, field):
    found(live(**over))
    with pytest.raises(CommandExecutionError, match=f"with other {field} "):
        flavor._created_by(None, BODY)


def test_a_flavor_with_another_id_is_a_conflict(found):
    found(live(id="other"))
    with pytest.raises(CommandExecutionError, match="other id"):
        flavor._created_by(None, dict(BODY, id="wanted"))
