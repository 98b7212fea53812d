"""The retry rule of _utils/stacksalt_openstack.request (pure logic; the proxy is a fake)."""

import pathlib

import openstack.exceptions
import pytest
import requests

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
utils = load_file(REPO / "_utils/stacksalt_openstack.py")

RETRY = (409, 503)


@pytest.mark.parametrize(
    ("status", "reset", "idempotent", "has_check", "before", "want"),
    [
        (404, False, True, False, False, "raise"),  # not transient
        (400, False, False, True, False, "raise"),
        (503, False, True, False, False, "retry"),  # GET/PUT/DELETE: a repeat is one call
        (409, False, True, False, False, "retry"),
        (None, True, True, False, False, "retry"),
        (409, False, False, False, False, "retry"),  # POST refused: nothing was done
        (503, False, False, False, False, "raise"),  # POST maybe done: no blind repeat
        (None, True, False, False, False, "raise"),
        (503, False, False, True, False, "check"),  # ... unless the caller can look first
        (None, True, False, True, False, "check"),
        (409, False, False, False, True, "raise"),  # a 409 after a lost answer may be our own work
        (409, False, False, True, True, "check"),
    ],
)
def test_retry_decision(status, reset, idempotent, has_check, before, want):
    assert utils.retry_decision(status, reset, RETRY, idempotent, has_check, before) == want


def _response(status, body=b"{}"):
    resp = requests.Response()
    resp.status_code = status
    resp._content = body
    resp.headers["Content-Type"] = "application/json"
    resp.url = "http://nova.test/v2.1/servers/x/action"
    resp.request = requests.Request("POST", resp.url).prepare()
    return resp


class FakeProxy:
    """Answers the statuses it is given, in order, and records each call."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)
        self.calls = []

    def request(self, url, method, **kwargs):
        self.calls.append(method)
        return _response(self.statuses.pop(0))


def call(proxy, method, **kwargs):
    return utils.request(proxy, method, "/x", base_delay=0.001, **kwargs)


def test_get_is_retried_through_503s():
    proxy = FakeProxy(503, 503, 200)
    assert call(proxy, "GET").status_code == 200
    assert proxy.calls == ["GET"] * 3


def test_post_is_not_repeated_after_a_503():
    proxy = FakeProxy(503, 201)
    with pytest.raises(openstack.exceptions.HttpException) as err:
        call(proxy, "POST")
    assert utils.http_status(err.value) == 503
    assert proxy.calls == ["POST"]


def test_post_is_retried_after_a_409_refusal():
    proxy = FakeProxy(409, 409, 202)
    assert call(proxy, "POST").status_code == 202
    assert len(proxy.calls) == 3


def test_post_check_finds_the_lost_work_and_stops():
    proxy = FakeProxy(503, 201)
    checks = []
    found = call(proxy, "POST", before_retry=lambda: checks.append(1) or {"image_id": "made"})
    assert found == {"image_id": "made"}
    assert proxy.calls == ["POST"] and checks == [1]


def test_post_check_finding_nothing_retries():
    proxy = FakeProxy(503, 409, 202)
    checks = []
    assert call(proxy, "POST", before_retry=lambda: checks.append(1)).status_code == 202
    # The 409 came after a lost answer: it was checked too before the third attempt.
    assert len(proxy.calls) == 3 and checks == [1, 1]


def test_explicitly_idempotent_post_is_retried():
    proxy = FakeProxy(503, 200)
    assert call(proxy, "POST", idempotent=True).status_code == 200


def test_appending_patch_can_opt_out():
    proxy = FakeProxy(503, 200)
    with pytest.raises(openstack.exceptions.HttpException):
        call(proxy, "PATCH", idempotent=False)
    assert proxy.calls == ["PATCH"]


def test_retry_false_and_last_attempt_raise():
    with pytest.raises(openstack.exceptions.HttpException):
        call(FakeProxy(503, 200), "GET", retry=False)
    proxy = FakeProxy(503, 503, 503)
    with pytest.raises(openstack.exceptions.HttpException):
        call(proxy, "GET", attempts=3)
    assert len(proxy.calls) == 3
