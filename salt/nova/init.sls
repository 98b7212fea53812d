{#- A nova-compute joined to the site's existing cloud: install (or check the shipped venv),
    nova.conf from pillar, the systemd unit, then the service registered with Nova. #}
include:
  - .validate
  - .install
  - .config
  - .service
