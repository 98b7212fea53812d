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
