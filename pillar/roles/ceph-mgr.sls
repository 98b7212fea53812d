# Manager hosts.
include:
  - site.ceph

ceph:
  mgr:
    enabled: true
