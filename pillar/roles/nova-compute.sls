# Hosts with the nova-compute role: a nova-compute joined to the site's cloud (salt/nova,
# see its pillar.example). On the Ironic host it runs the ironic driver: Nova schedules
# bare-metal instances onto Ironic's nodes through it, as the Ironic service user.
# Passwords: nova:keystone_password, nova:messaging_password in secrets/<id>.sls.
nova:
  lookup:
    install:
      method: venv
      # the site's Nova venv, shipped to the host (the lab mounts the stand-in cloud's, same version)
      venv: /opt/stacksalt-openstack
  compute:
    driver: ironic
    # the aggregate the bare-metal flavor asks for (aggregate_instance_extra_specs:baremetal)
    aggregates: [baremetal-hosts]
  # the Ironic host's cloud entry (pillar/roles/ironic.sls): its service user, admin on project service
  cloud: ironic
  messaging:
    host: {host: controller1}
    user: openstack
  keystone:
    auth_url: {host: controller1, port: 5000, path: /v3}
    username: ironic
    project_name: service
