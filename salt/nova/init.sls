{#- A nova-compute joined to the site's existing cloud: install (or check the shipped venv),
    the hypervisor tuning (only with nova:tuning:enabled), nova.conf from pillar, the systemd
    unit, then the service registered with Nova. #}
include:
  - .validate
  - .install
  - .tuning
  - .config
  - .service
