"""
The one paging loop (``stacksalt_openstack.paged``) that Ironic, Glance and Nova listings share:
every page is asked with the caller's filters kept and ``marker`` set to the last item seen,
while the service links a next page in its own way.
"""

import pytest
from saltfactories.utils.functional import Loaders

from tests.support.loaders import loader_opts

pytestmark = pytest.mark.unit


class PagedProxy:
    """A service proxy answering a listing in pages of ``size``, linked as ``style`` does."""

    def __init__(self, key, style, items, size, marker_key):
        self.key, self.style, self.items, self.size, self.marker_key = key, style, items, size, marker_key
        self.asked = []

    def request(self, url, method, params=None, **kwargs):
        self.asked.append(
            {"url": url, "params": dict(params or {}), "microversion": kwargs.get("microversion")}
        )
        start = 0
        if params and "marker" in params:
            start = next(i for i, it in enumerate(self.items) if it[self.marker_key] == params["marker"]) + 1
        page = self.items[start : start + self.size]
        body = {self.key: page}
        if start + self.size < len(self.items):
            if self.style == "nova":
                body[f"{self.key}_links"] = [{"rel": "next", "href": "http://nova/v2.1/servers?marker=x"}]
            else:  # Ironic (an absolute URL) and Glance (a path) both say "next"
                body["next"] = (
                    "http://ironic/v1/nodes?marker=x" if self.style == "ironic" else "/v2/images?marker=x"
                )
        return type("Resp", (), {"status_code": 200, "json": lambda self: body})()


@pytest.fixture(scope="module")
def paged(tmp_path_factory):
    return Loaders(loader_opts(tmp_path_factory.mktemp("paged"), "paged")).utils["stacksalt_openstack.paged"]


@pytest.mark.parametrize(
    ("style", "key", "marker_key"),
    [("ironic", "nodes", "uuid"), ("glance", "images", "id"), ("nova", "servers", "id")],
)
def test_every_page_is_read_with_the_filters_kept(paged, style, key, marker_key):
    items = [{marker_key: f"id-{i:03d}"} for i in range(7)]
    proxy = PagedProxy(key, style, items, 3, marker_key)
    got = paged(proxy, f"/{key}", key, {"status": "active"}, marker_key=marker_key, microversion="9.9")
    assert got == items
    assert [a["params"].get("marker") for a in proxy.asked] == [None, "id-002", "id-005"]
    assert all(a["params"]["status"] == "active" and a["url"] == f"/{key}" for a in proxy.asked)
    assert {a["microversion"] for a in proxy.asked} == {"9.9"}


def test_a_listing_that_fits_one_page_is_one_request(paged):
    proxy = PagedProxy("flavors", "nova", [{"id": "a"}, {"id": "b"}], 10, "id")
    assert paged(proxy, "/flavors/detail", "flavors") == [{"id": "a"}, {"id": "b"}]
    assert len(proxy.asked) == 1
