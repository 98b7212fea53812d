# Manager hosts.
include:
  - site.ceph

ceph:
  mgr:
    enabled: true

# Self-healing: the manager daemon (its id is the short host name, as ceph.mgr names it;
# labtool renders pillar without grains: the minion id then).
salt:
  minion:
    heal:
      services:
        ceph-mgr@{{ grains.get('host', opts.id) }}: {sls: ceph.mgr}
