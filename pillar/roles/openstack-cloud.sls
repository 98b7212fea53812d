# The site's existing OpenStack cloud (Keystone, Glance, Nova's control plane, Neutron), which
# stacksalt joins but does not install: in the lab a stand-in runs it (lab/services/openstack,
# see docs/lab.md). What stacksalt manages here is what joins it to the site: the Ceph clients
# its services use. Keys come from secrets/<id>.sls of the host.
include:
  - site.ceph

ceph:
  client:
    enabled: true
    keyrings:
      # Glance's rbd store (pool images) and volumes (cinder: volumes, vms, images read-only)
      glance: {mode: '0640'}
      cinder: {mode: '0640'}
