{#- Undo the formula in reverse order: the backup policies' schedule jobs, the listed image
    properties, aggregates, flavors, networks, users and services. Images themselves are never deleted here. #}
include:
  - .backups.clean
  - .images.clean
  - .aggregates.clean
  - .flavors.clean
  - .networks.clean
  - .identity.clean
