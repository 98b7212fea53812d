{#- Cloud objects from pillar: Keystone registrations, networks, flavors, host aggregates,
    properties of existing images, scheduled instance backups. Runs on the host that talks to the OpenStack APIs (role
    cloud-admin), not on the cloud's hosts. #}
include:
  - .validate
  - .identity
  - .networks
  - .flavors
  - .aggregates
  - .images
  - .backups
