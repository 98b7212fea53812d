# Secrets of the host `ironic1` only (pillar top gives each minion its own secrets file).
# CLEARLY FAKE demo values: replace them (or render this file from a vault) on a real site.
ironic:
  # BMC passwords of the demo nodes (merged into their driver_info by the ironic formula)
  node_secrets:
    lab-node1: {ipmi_password: FAKE-lab-node1-bmc-password}
    lab-node2: {ipmi_password: FAKE-lab-node2-bmc-password}
    lab-node3: {ipmi_password: FAKE-lab-node3-bmc-password}
  # the Ironic service user in the site's Keystone (secrets/master.sls registers the same one)
  keystone_password: FAKE-ironic-keystone-password
  # Ironic's user on the cloud's MariaDB (secrets/controller1.sls makes it with the same one)
  database_password: FAKE-ironic-mariadb-password
openstack:
  clouds:
    ironic:
      auth:
        password: FAKE-ironic-keystone-password
nova:
  # nova-compute authenticates as the Ironic service user (the same password as above)
  keystone_password: FAKE-ironic-keystone-password
  # the cloud's RabbitMQ user `openstack` (the stand-in cloud takes it from here: lab/lab)
  messaging_password: FAKE-rabbitmq-openstack-password
