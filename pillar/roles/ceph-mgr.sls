# Manager hosts.
include:
  - site.ceph

ceph:
  mgr:
    enabled: true

# Self-healing: the manager daemon (its id is the short host name, as ceph.mgr names it).
salt:
  minion:
    heal:
      services:
        ceph-mgr@{{ grains.host }}: {sls: ceph.mgr}
