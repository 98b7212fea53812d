# Hosts with the nova-compute role: a nova-compute joined to the site's cloud (salt/nova,
# see its pillar.example), over the cloud's RabbitMQ and Keystone. What it drives comes with
# the host's other role: `ironic` (the ironic driver: Nova schedules bare-metal instances onto
# Ironic's nodes) or `compute` (a hypervisor for virtual instances).
# Passwords: nova:keystone_password, nova:messaging_password in secrets/<id>.sls.
nova:
  lookup:
    install:
      method: venv
      # the site's Nova venv, shipped to the host (the lab mounts the stand-in cloud's, same version)
      venv: /opt/stacksalt-openstack
  messaging:
    host: {host: controller1}
    user: openstack
  keystone:
    auth_url: {host: controller1, port: 5000, path: /v3}
    project_name: service
