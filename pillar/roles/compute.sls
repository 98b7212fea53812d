# Compute hosts: hypervisors for the site's virtual instances, and Ceph clients for the `vms`
# pool (client.nova). The key is in secrets/<id>.sls; compute hosts never get other clients'
# keys (client.glance stays on the hosts that need it).
include:
  - site.ceph

ceph:
  client:
    enabled: true
    keyrings:
      nova: {mode: '0640'}

# With the nova-compute role (pillar/roles/nova-compute.sls): the virt driver and the service
# user the cloud-admin host registers for compute hosts (openstack:identity:users). The lab's
# hosts are containers without KVM: Nova's fake driver stands in for libvirt.
nova:
  compute:
    driver: fake
    # the stand-in cloud's venv carries a fake driver whose snapshots upload a small payload
    # (lab/services/openstack/nova_uploading_fake.py), so the site's backups become active images
    fake_driver: uploading_fake.UploadingFakeDriver
    # The virtual-hosts aggregate (roles/cloud-admin.sls) picks compute hosts up by name
    # (hosts_matching "*compute*"); the host also joins it itself once its service registered,
    # since in the first highstate the cloud-admin host may look before this one has.
    aggregates: [virtual-hosts]
  cloud: compute
  keystone:
    username: nova-compute

# The aggregate membership above, as the compute hosts' service user (its password:
# secrets/<id>.sls openstack:clouds:compute:auth:password).
openstack:
  clouds:
    compute:
      auth:
        auth_url: {host: controller1, port: 5000, path: /v3}
        username: nova-compute
        project_name: service
        user_domain_name: Default
        project_domain_name: Default
      region_name: RegionOne
