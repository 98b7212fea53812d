# Compute hosts: Ceph clients for the `vms` pool (client.nova). The key is in secrets/<id>.sls;
# compute hosts never get other clients' keys (client.glance stays on the hosts that need it).
include:
  - site.ceph

ceph:
  client:
    enabled: true
    keyrings:
      nova: {mode: '0640'}
