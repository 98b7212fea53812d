# Hosts with the ironic role: Ironic from Debian's packages (ironic-api under uwsgi,
# ironic-conductor, JSON-RPC between them), SQLite, no Keystone (noauth: the lab only),
# and a demo enrolment of fake-hardware nodes. BMC passwords: secrets/<id>.sls
# (ironic:node_secrets). Formula reference: salt/ironic/pillar.example, docs/ironic.md.
ironic:
  lookup:
    install:
      method: pkg
  api:
    host_ip: 0.0.0.0
    port: 6385
    workers: 2
  auth_strategy: noauth
  # noauth on 0.0.0.0: anyone who reaches port 6385 can drive the BMCs. The lab's network is
  # internal to this machine; the schema refuses this pairing unless it is said out loud.
  allow_insecure_noauth: true
  database:
    connection: sqlite:////var/lib/ironic/ironic.sqlite
  enabled_hardware_types: [fake-hardware, ipmi, redfish]
  enabled_interfaces:
    # no Neutron in the lab: the flat network interface would ask it about cleaning_network
    network: [noop]
  conductor:
    automated_clean: true
    max_concurrent_clean: 50
    deploy_kernel: http://10.89.50.11:8088/ipa.kernel
    deploy_ramdisk: http://10.89.50.11:8088/ipa.initramfs
  neutron:
    cleaning_network: baremetal
  ipxe:
    enabled: true
    http_url: http://10.89.50.11:8088
  # The demo enrolment (ironic.nodes): fake-hardware nodes, one per provision state the
  # states manage. Their BMC passwords come from the host's secrets pillar.
  nodes_cloud: ironic
  # seconds per provision step (default: ironic_node's 1800, Ironic's own cleaning timeout);
  # fake-hardware cleans in seconds, and this stays well inside the lab's 600 s bound on a highstate
  nodes_timeout: 300
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

# The Ironic API of this host, for ironic.nodes (noauth: no credentials).
openstack:
  clouds:
    ironic:
      auth_type: none
      baremetal_endpoint_override: http://127.0.0.1:6385
