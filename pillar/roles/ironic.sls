# Hosts with the ironic role: Ironic from Debian's packages (ironic-api under uwsgi,
# ironic-conductor, JSON-RPC between them), its database on the cloud's MariaDB, joined to the site's cloud (Keystone
# tokens, its service user in [service_catalog]/[neutron]/[glance]), and a demo enrolment of
# fake-hardware nodes. Secrets in secrets/<id>.sls: ironic:keystone_password, ironic:database_password,
# ironic:node_secrets (BMC passwords), the nodes cloud's password. Formula reference:
# salt/ironic/pillar.example, docs/ironic.md.
ironic:
  lookup:
    install:
      method: pkg
  api:
    host_ip: 0.0.0.0
    port: 6385
    workers: 2
  auth_strategy: keystone
  # The service user openstack.identity registers on the cloud-admin host; Keystone's address
  # is the one the cloud host publishes in the Salt mine.
  keystone:
    auth_url: {host: controller1, port: 5000, path: /v3}
  # the site cloud's MariaDB (the cloud host's mine address; the database and the user are made
  # by that host's highstate, mariadb formula); the password: secrets ironic:database_password
  database:
    connection: {host: controller1, port: 3306, name: ironic, user: ironic}
  # ...which may run at the same time as this one (the first apply runs every host at once)
  database_await: {attempts: 20, interval: 15}
  enabled_hardware_types: [fake-hardware, ipmi, redfish]
  enabled_interfaces:
    # noop: the stand-in cloud's Neutron has no ML2 mechanism driver that binds baremetal
    # ports (networking-baremetal), so `flat` could not plug nodes into cleaning_network
    network: [noop]
  conductor:
    automated_clean: true
    max_concurrent_clean: 50
    # this host's own HTTP root (ironic:ipxe:http_root), at its mine address
    deploy_kernel: {host: {{ opts.id }}, port: 8088, path: /ipa.kernel}
    deploy_ramdisk: {host: {{ opts.id }}, port: 8088, path: /ipa.initramfs}
  neutron:
    cleaning_network: baremetal
  ipxe:
    enabled: true
    http_url: {host: {{ opts.id }}, port: 8088}
  # The demo enrolment (ironic.nodes): fake-hardware nodes, one per provision state the
  # states manage. Their BMC passwords come from the host's secrets pillar.
  nodes_cloud: ironic
  # seconds per provision step (default: ironic_node's 1800, Ironic's own cleaning timeout);
  # fake-hardware cleans in seconds, and this stays well inside the lab's 600 s bound on a highstate
  nodes_timeout: 300
  # ...and lab-node1's deploy images are uploaded by the master in the same first highstate
  nodes_await_images: {attempts: 40, interval: 15}
  nodes:
    - name: lab-node1
      driver: fake-hardware
      driver_info: {ipmi_address: 192.0.2.101, ipmi_username: admin}
      properties:
        cpus: 4
        memory_mb: 8192
        local_gb: 40
        root_device: {wwn: "0x0000000000000001"}
      capabilities: {boot_mode: uefi}
      resource_class: baremetal
      traits: [CUSTOM_LAB]
      ports: [{address: "52:54:00:1a:b0:01"}]
      # the deploy images the cloud-admin host uploads (openstack.images), by Glance name
      deploy_kernel: deploy-kernel
      deploy_ramdisk: deploy-ramdisk
      provision_state: available
    - name: lab-node2
      driver: fake-hardware
      driver_info: {ipmi_address: 192.0.2.102, ipmi_username: admin}
      properties: {cpus: 8, memory_mb: 16384, local_gb: 80}
      resource_class: baremetal
      ports: [{address: "52:54:00:1a:b0:02"}, {address: "52:54:00:1a:b0:12"}]
      provision_state: manageable
    - name: lab-node3
      driver: fake-hardware
      driver_info: {ipmi_address: 192.0.2.103, ipmi_username: admin}
      properties: {cpus: 2, memory_mb: 4096, local_gb: 20}
      ports: [{address: "52:54:00:1a:b0:03"}]
      provision_state: enroll

# The Ironic API of this host, for ironic.nodes, as the Ironic service user (its password:
# secrets/<id>.sls). Loopback for the API itself; tokens from the cloud's Keystone.
openstack:
  clouds:
    ironic:
      auth:
        auth_url: {host: controller1, port: 5000, path: /v3}
        username: ironic
        project_name: service
        user_domain_name: Default
        project_domain_name: Default
      region_name: RegionOne
      baremetal_endpoint_override: http://127.0.0.1:6385

# With the nova-compute role on the same host (pillar/roles/nova-compute.sls): its nova-compute
# runs the ironic driver, as the Ironic service user, and joins the bare-metal aggregate.
nova:
  compute:
    driver: ironic
    # the aggregate the bare-metal flavor asks for (aggregate_instance_extra_specs:baremetal)
    aggregates: [baremetal-hosts]
  # the Ironic host's cloud entry (above): its service user, admin on project service
  cloud: ironic
  keystone:
    username: ironic
