"""Pure helpers of _utils/stacksalt_ceph.py: qemu's rbd: target, rbd:// locations, ids, errors."""

import pathlib
import uuid

import pytest

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
sc = load_file(REPO / "_utils/stacksalt_ceph.py")


def test_qemu_target_escapes_colons_and_strips_client_prefix():
    target = sc.qemu_rbd_target(
        "images", "abc", conf="/etc/ceph/a:b.conf", user="client.glance", keyring="/k"
    )
    assert target == "rbd:images/abc:id=glance:keyring=/k:conf=/etc/ceph/a\\:b.conf"


def test_qemu_target_minimal_and_snap():
    assert sc.qemu_rbd_target("p", "i") == "rbd:p/i"
    assert sc.qemu_rbd_target("p", "i", snap="snap") == "rbd:p/i@snap"


def test_location_round_trip():
    url = sc.rbd_location("f5", "images", "id1", "snap")
    assert url == "rbd://f5/images/id1/snap"
    assert sc.parse_rbd_location(url) == {"fsid": "f5", "pool": "images", "image": "id1", "snap": "snap"}
    assert sc.parse_rbd_location("file:///x") is None
    assert sc.parse_rbd_location("rbd://a/b/c") is None


def test_image_ids_are_stable_uuids_per_name_and_generation():
    first = sc.image_id_for("ubuntu-24.04")
    assert first == sc.image_id_for("ubuntu-24.04", 0)
    assert uuid.UUID(first).version == 5
    assert sc.image_id_for("ubuntu-24.04", 1) != first
    assert sc.image_id_for("debian-12") != first


def test_conn_args():
    assert sc.conn_args(conf="/c", user="client.glance", keyring="/k", cluster="ceph") == [
        "--cluster", "ceph", "--conf", "/c", "--id", "glance", "--keyring", "/k",
    ]  # fmt: skip
    assert sc.conn_args() == []


@pytest.mark.parametrize(
    "stderr,kind,advice",
    [
        ("qemu-img: Unknown protocol 'rbd'", "no-rbd-driver", "qemu-block-extra"),
        ("rbd: error opening pool 'x': (2) No such file or directory", "no-pool", "pool does not exist"),
        ("rbd: listing images failed: (1) Operation not permitted", "caps", "lacks the caps"),
        (
            "monclient(hunting): handle_auth_bad_method\nrbd: couldn't connect to the cluster!",
            "auth",
            "cephx",
        ),
        ("rbd: error opening image x: (2) No such file or directory", "not-found", "not found"),
        # the real CLIs with a missing --conf (ceph, then rbd/rados), recorded on Debian 12's 16.2
        (
            "Error initializing cluster client: ObjectNotFound('RADOS object not found "
            "(error calling conf_read_file)')",
            "no-conf",
            "conf file is missing",
        ),
        (
            "global_init: unable to open config file from search list /x/ceph.conf",
            "no-conf",
            "conf file is missing",
        ),
        ("something else entirely", None, None),
    ],
)
def test_classify(stderr, kind, advice):
    got_kind, got_advice = sc.classify(stderr)
    assert got_kind == kind
    if advice:
        assert advice in got_advice


def test_error_message_names_the_subcommand_not_the_connection():
    err = sc.error_for(
        ["/usr/bin/rbd", "--conf", "/c", "--id", "glance", "snap", "protect", "images/x@snap"],
        1,
        "2026-11-24T19:42:36.141+0000 7fcc -1 librbd: noise\nrbd: protecting snap failed: (1) Operation not permitted\n",
    )
    assert str(err).startswith("rbd snap protect failed (rc 1): rbd: protecting snap failed")
    assert "librbd: noise" not in str(err)
    assert err.kind == "caps"


def test_run_refuses_shell_strings():
    with pytest.raises(sc.SaltInvocationError):
        sc.run("rbd ls images")
