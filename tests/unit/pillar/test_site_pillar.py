"""pillar/site/common.sls: plain YAML (the Vagrantfile reads it with a YAML parser, no Jinja),
and the mine publishes each host's addresses on the site network it names."""

import pathlib

import pytest
import yaml

pytestmark = pytest.mark.unit

SITE_FILE = pathlib.Path(__file__).resolve().parents[3] / "pillar" / "site" / "common.sls"


def test_the_site_file_is_plain_yaml():
    text = SITE_FILE.read_text()
    assert "{%" not in text and "{{" not in text, "the Vagrantfile parses this file as YAML"
    assert yaml.safe_load(text)["site"]["hosts"]


def test_the_mine_publishes_addresses_on_the_site_network():
    data = yaml.safe_load(SITE_FILE.read_text())
    (function,) = data["mine_functions"].values()
    args = {k: v for item in function for k, v in item.items()}
    assert args == {"mine_function": "network.ip_addrs", "cidr": data["site"]["network"]}
    assert list(data["mine_functions"]) == ["stacksalt_address"], "salt/lib/addresses.jinja reads this name"
