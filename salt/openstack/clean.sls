{#- Undo the formula in reverse order: the listed image properties, aggregates, flavors,
    networks, users and services. Images themselves are never deleted here. #}
include:
  - .images.clean
  - .aggregates.clean
  - .flavors.clean
  - .networks.clean
  - .identity.clean
