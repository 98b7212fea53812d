"""The lab network: internal, packages only through the proxy on the gateway, only Debian."""

import pytest

pytestmark = pytest.mark.lab

FETCH = (
    'python3 -c "import sys, urllib.request as u; '
    "h = u.ProxyHandler({{'http': '{proxy}'}} if '{proxy}' else {{}}); "
    'print(u.build_opener(h).open(sys.argv[1], timeout=8).status)" {url}'
)


def gateway(lab_up):
    return lab_up["master"]["ip"].rsplit(".", 1)[0] + ".1"


def test_hosts_reach_each_other(hosts, lab_up):
    for name in ("ironic1", "edge1"):
        assert hosts[name].run(f"ping -c1 -W2 {lab_up['master']['ip']}").rc == 0


def test_debian_packages_come_through_the_proxy(hosts):
    h = hosts["ceph2"]
    assert "Acquire::http::Proxy" in h.file("/etc/apt/apt.conf.d/01stacksalt-lab-proxy").content_string
    out = h.run("apt-get update -q")
    assert out.rc == 0, out.stderr
    assert h.run("apt-get install -y -q --no-install-recommends --download-only tree").rc == 0


def test_no_direct_outside_access(hosts):
    h = hosts["compute1"]
    direct = h.run(FETCH.format(proxy="", url="http://deb.debian.org/debian/"))
    assert direct.rc != 0


def test_proxy_serves_only_the_debian_mirror(hosts, lab_up):
    h = hosts["compute1"]
    proxy = f"http://{gateway(lab_up)}:3142"
    other = h.run(FETCH.format(proxy=proxy, url="http://example.com/"))
    assert other.rc != 0 and "403" in other.stderr + other.stdout
