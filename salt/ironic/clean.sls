{#- Undo the formula in reverse order: services, config; data and install stay unless
    `ironic.install.clean` is applied explicitly. Enrolled nodes are never deleted here. #}
include:
  - .service.clean
  - .config.clean
