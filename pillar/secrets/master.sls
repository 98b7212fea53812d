# Secrets of the host `master` only (pillar top gives each minion its own secrets file).
# CLEARLY FAKE demo values: replace them (or render this file from a vault) on a real site.
openstack:
  clouds:
    demo:
      auth:
        # the cloud host's address from the Salt mine (a typed URL works too)
        auth_url: {host: controller1, port: 5000, path: /v3}
        username: admin
        password: FAKE-demo-admin-password-do-not-use
        project_name: admin
        user_domain_name: Default
        project_domain_name: Default
      region_name: RegionOne
  # Keystone service users the openstack formula registers (the same password goes in the
  # service host's own secrets: secrets/ironic1.sls, secrets/compute1.sls)
  user_passwords:
    ironic: FAKE-ironic-keystone-password
    nova-compute: FAKE-nova-compute-keystone-password
# the cephx key of client.image-import (ceph1 creates it): the images this host imports into RBD
ceph:
  keys:
    clients:
      image-import: AQClqBBrBi9rNBAA/UJx9bZYhSXsMDatmG9hFA==
