ceph:
  mon: {enabled: true, id: ceph1, addr: 10.89.50.21}
  keyrings:
    enabled: true
    clients:
      glance:
        caps:
          mon: profile rbd
          osd: profile rbd pool=images
      nova:
        caps:
          mon: profile rbd
          osd: profile rbd pool=vms
