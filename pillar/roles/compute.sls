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
  # Hypervisor-side tuning (salt/nova tuning, CERN's compute hosts), small for the lab: its
  # containers see the build host's CPUs (2 here: one pinned, one shared) and kernel, whose
  # running values a container cannot change (/sys is read-only there); the tuning states say
  # so in their comments, and the boot configuration carries them.
  tuning:
    enabled: true
    hugepages: {size: 2M, count: 64}
    ksm: false
    kvm_intel: {ept: true}
    cpu_dedicated_set: "1"
    cpu_shared_set: "0"
    reserved_huge_pages:
      - {node: 0, size: 2048, count: 8}

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
