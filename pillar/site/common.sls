# Site-wide data every host may read. No secrets here: this file reaches every minion.
site:
  name: demo
  domain: lab.stacksalt.test
  network: 10.89.50.0/24
  hosts:
    master: 10.89.50.10
    ironic1: 10.89.50.11
    controller1: 10.89.50.12
    ceph1: 10.89.50.21
    ceph2: 10.89.50.22
    ceph3: 10.89.50.23
    compute1: 10.89.50.31
    edge1: 10.89.50.40
    spare1: 10.89.50.50

# Every minion publishes its own addresses on the site network in the Salt mine; formulas read
# other hosts' addresses from there (salt/lib/addresses.jinja) instead of from typed pillar.
# Addresses only: the mine is readable by every minion (tests/lab hostile tier checks it).
# This file stays plain YAML (the Vagrantfile reads it): the cidr is site:network, typed twice
# (tests/unit/pillar/test_site_pillar.py keeps the two equal).
mine_functions:
  stacksalt_address:
    - mine_function: network.ip_addrs
    - cidr: 10.89.50.0/24
