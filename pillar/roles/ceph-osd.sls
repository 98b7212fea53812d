# OSD hosts: the devices are per host (hosts/<id>.sls), the bootstrap-osd key in secrets/<id>.sls.
include:
  - site.ceph

ceph:
  osd:
    enabled: true
    # Lab hosts share one machine: 896 MiB per OSD instead of Ceph's 4 GiB default.
    memory_target: 939524096
