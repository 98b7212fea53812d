# Secrets of the host `compute1` only: client.nova's key (its role's only Ceph identity) and
# its nova-compute's passwords.
# CLEARLY FAKE demo values: replace them (or render this file from a vault) on a real site.
ceph:
  keys:
    clients:
      nova: AQDqTQdrACYEIBAA9rVkyABdlAUu0i9AKxoG/w==
nova:
  # the compute hosts' service user in the site's Keystone (secrets/master.sls registers it)
  keystone_password: FAKE-nova-compute-keystone-password
  # the cloud's RabbitMQ user `openstack` (every nova-compute host holds the same one: lab/lab)
  messaging_password: FAKE-rabbitmq-openstack-password
openstack:
  clouds:
    compute:
      auth:
        # the same service user as nova:keystone_password
        password: FAKE-nova-compute-keystone-password
