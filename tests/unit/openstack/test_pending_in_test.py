"""Which read failures test=True reports as unknown (an earlier change of the run may cure them)
and which it reports as failures: pure logic of stacksalt_openstack/stacksalt_ceph."""

import pathlib

import keystoneauth1.exceptions
import openstack.exceptions
import pytest
from salt.exceptions import CommandExecutionError

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
so = load_file(REPO / "_utils/stacksalt_openstack.py", "stacksalt_openstack_pending")
sc = load_file(REPO / "_utils/stacksalt_ceph.py", "stacksalt_ceph_pending")


def wrapped(cause):
    """As the module edges raise it: a CommandExecutionError from the client's exception."""
    try:
        try:
            raise cause
        except Exception as exc:
            raise so.command_error("listing the drivers of Ironic", exc) from exc
    except CommandExecutionError as outer:
        return outer


@pytest.mark.parametrize(
    ("cause", "pending"),
    [
        (openstack.exceptions.HttpException("unauthorized", http_status=401), True),
        (openstack.exceptions.HttpException("starting", http_status=503), True),
        (keystoneauth1.exceptions.ConnectFailure("refused"), True),
        (ConnectionRefusedError("refused"), True),
        (openstack.exceptions.HttpException("forbidden", http_status=403), False),
        (openstack.exceptions.HttpException("bad", http_status=400), False),
        (ValueError("a bug"), False),
    ],
)
def test_pending_cause(cause, pending):
    assert so.pending_cause(wrapped(cause)) is pending


def test_could_not_read_is_unknown_only_in_test_mode_and_keeps_the_error():
    exc = wrapped(openstack.exceptions.HttpException("unauthorized", http_status=401))
    ret = so.could_not_read(
        {"name": "n", "result": False, "comment": ""}, "the drivers from Ironic", exc, test=True
    )
    assert ret["result"] is None and "HTTP 401" in ret["comment"], ret
    assert ret["comment"].startswith("The drivers from Ironic cannot be known before"), ret
    ret = so.could_not_read({"name": "n", "result": False, "comment": ""}, "the drivers", exc, test=False)
    assert ret["result"] is False and ret["comment"].startswith(
        "Could not read the drivers: listing the drivers of Ironic: HTTP 401"
    ), ret
    forbidden = wrapped(openstack.exceptions.HttpException("forbidden", http_status=403))
    ret = so.could_not_read(
        {"name": "n", "result": False, "comment": ""}, "the drivers", forbidden, test=True
    )
    assert ret["result"] is False, ret


def test_ceph_pending_kinds():
    try:
        sc.run(["/nonexistent/ceph", "status"])
    except sc.CephCommandError as exc:
        missing = exc
    assert missing.kind == "missing-tool" and "ceph-common" in str(missing)
    assert sc.pending_cause(CommandExecutionError("import failed")) is False
    assert sc.pending_cause(missing) is True
    wrapped_missing = CommandExecutionError("import of 'x' failed, rolled back")
    wrapped_missing.__cause__ = missing
    assert sc.pending_cause(wrapped_missing) is True
    assert sc.pending_cause(sc.CephCommandError("no caps", kind="caps")) is False
