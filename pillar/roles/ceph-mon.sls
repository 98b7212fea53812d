# Monitor hosts: the monitor, the site's pools and the cephx clients the site hands out.
# The mon's own address is its Salt mine entry (the ceph formula reads it); its keys are in
# secrets/<id>.sls.
include:
  - site.ceph

ceph:
  mon:
    enabled: true
  pools:
    enabled: true
    items:
      images: {pg_num: 32, size: 3, application: rbd}
      volumes: {pg_num: 32, size: 3, application: rbd}
      vms: {pg_num: 32, size: 3, application: rbd}
      backups: {pg_num: 16, size: 3, application: rbd}
  keyrings:
    enabled: true
    # Least privilege: each client gets the rbd profile on its own pools only.
    clients:
      glance:
        caps:
          mon: profile rbd
          osd: profile rbd pool=images
          mgr: profile rbd pool=images
      cinder:
        caps:
          mon: profile rbd
          osd: profile rbd pool=volumes, profile rbd pool=vms, profile rbd-read-only pool=images
          mgr: profile rbd pool=volumes, profile rbd pool=vms
      # the cloud-admin host's imports into Glance's pool (openstack:images:<name>:rbd): its
      # own identity, so that it can be revoked without touching Glance's
      image-import:
        caps:
          mon: profile rbd
          osd: profile rbd pool=images
          mgr: profile rbd pool=images
      nova:
        caps:
          mon: profile rbd
          osd: profile rbd pool=vms, profile rbd-read-only pool=images
          mgr: profile rbd pool=vms

# Self-healing: the monitor daemon (its id is the short host name, as ceph.mon names it;
# labtool renders pillar without grains: the minion id then).
salt:
  minion:
    heal:
      services:
        ceph-mon@{{ grains.get('host', opts.id) }}: {sls: ceph.mon}
