# The host that talks to the OpenStack APIs for the site (flavors, aggregates, images,
# node enrolment). Credentials come from secrets/<id>.sls of that host only.
openstack_cloud: demo

# Cloud objects for the openstack formula (salt/openstack, see its pillar.example). Not in
# top.sls: the lab has no Nova; `salt master state.apply openstack` on a site that has one.
openstack:
  flavors:
    baremetal:
      vcpus: 1
      ram: 1024
      disk: 20
      extra_specs:
        resources:CUSTOM_BAREMETAL: 1
        resources:VCPU: 0
        resources:MEMORY_MB: 0
        resources:DISK_GB: 0
        aggregate_instance_extra_specs:baremetal: "true"
    m1.small:
      vcpus: 1
      ram: 2048
      disk: 20
      extra_specs:
        aggregate_instance_extra_specs:baremetal: "false"
  aggregates:
    baremetal-hosts:
      metadata: {baremetal: "true"}
      hosts: [ironic1]
    virtual-hosts:
      metadata: {baremetal: "false"}
      hosts_matching: "*compute*"
