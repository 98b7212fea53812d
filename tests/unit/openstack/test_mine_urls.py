"""
A cloud's auth_url may name a host instead of an address (``{host: controller1, port: 5000,
path: /v3}``): the shared layer reads that host's own mine entry, by exact id, before it
connects. Pure logic: ``mine_get`` here stands in for the loader's ``mine.get``.
"""

import pytest
from saltfactories.utils.functional import Loaders

from tests.support.loaders import loader_opts

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def utils(tmp_path_factory):
    loaders = Loaders(loader_opts(tmp_path_factory.mktemp("mine-urls"), "mine-urls"))
    return {name: loaders.utils[f"stacksalt_openstack.{name}"] for name in ("mine_url", "resolve_mine_urls")}


class Mine:
    def __init__(self, published):
        self.published, self.asked = published, []

    def __call__(self, tgt, fun, tgt_type="glob"):
        self.asked.append((tgt, fun, tgt_type))
        return {m: a for m, a in self.published.items() if m == tgt}


def test_a_named_host_becomes_its_published_address(utils):
    mine = Mine({"controller1": ["10.89.50.12"], "controller10": ["10.66.6.6"]})
    url = utils["mine_url"]({"host": "controller1", "port": 5000, "path": "/v3"}, mine)
    assert url == "http://10.89.50.12:5000/v3"
    # by exact id: a glob would let controller10's entry answer for controller1
    assert mine.asked == [("controller1", "stacksalt_address", "list")]


def test_a_typed_url_is_kept(utils):
    assert (
        utils["mine_url"]("https://keystone.example:5000/v3", Mine({})) == "https://keystone.example:5000/v3"
    )


def test_a_host_with_no_entry_is_named_with_the_fix(utils):
    with pytest.raises(RuntimeError, match=r"host 'controller1'.*salt controller1 mine.update"):
        utils["mine_url"]({"host": "controller1", "port": 5000}, Mine({}))


def test_only_the_chosen_clouds_auth_url_is_resolved_and_the_config_is_not_changed(utils):
    config = {
        "clouds": {
            "site": {
                "auth": {"auth_url": {"host": "controller1", "port": 5000, "path": "/v3"}, "username": "u"}
            },
            "other": {"auth": {"auth_url": {"host": "nowhere"}}},
        }
    }
    resolved = utils["resolve_mine_urls"](config, "site", Mine({"controller1": ["10.89.50.12"]}))
    assert resolved["clouds"]["site"]["auth"] == {"auth_url": "http://10.89.50.12:5000/v3", "username": "u"}
    assert resolved["clouds"]["other"] == config["clouds"]["other"]
    assert config["clouds"]["site"]["auth"]["auth_url"] == {
        "host": "controller1",
        "port": 5000,
        "path": "/v3",
    }


def test_an_unresolved_auth_url_names_the_pillar_key(utils):
    config = {"clouds": {"site": {"auth": {"auth_url": {"host": "controller1"}}}}}
    with pytest.raises(RuntimeError, match=r"^openstack:clouds:site:auth:auth_url: no address .*controller1"):
        utils["resolve_mine_urls"](config, "site", Mine({}))
