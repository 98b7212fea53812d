# The site's existing OpenStack cloud (Keystone, Glance, Nova's control plane, Neutron), which
# stacksalt joins but does not install: in the lab a stand-in runs it (lab/services/openstack,
# see docs/lab.md). What stacksalt manages here is what joins it to the site: the Ceph clients
# its services use, and the databases and users of the site's own services (Ironic) on the
# cloud's MariaDB (mariadb formula). Keys and passwords come from secrets/<id>.sls of the host.
include:
  - site.ceph

ceph:
  client:
    enabled: true
    keyrings:
      # Glance's rbd store (pool images) and volumes (cinder: volumes, vms, images read-only)
      glance: {mode: '0640'}
      cinder: {mode: '0640'}

# Databases on the cloud's MariaDB for the site's services, as its admin on this host: root on
# loopback (the stand-in's root has no password; a site names its admin's password key with
# admin:password_pillar). Each user's password: mariadb:user_passwords:<name> in the secrets.
mariadb:
  admin:
    host: 127.0.0.1
    port: 3306
    user: root
  databases:
    ironic: {character_set: utf8mb4}
  users:
    ironic:
      # any host: the site network is the cloud's (a site narrows this to its Ironic hosts)
      host: "%"
      grants:
        ironic: [ALL]
