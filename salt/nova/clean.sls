{#- Undo the formula: the service, then its config, then the tuning's boot configuration (the
    running kernel keeps its tuning until the next boot). The compute service stays registered
    in Nova (`openstack compute service delete` is the cloud's call); a venv is never removed. #}
include:
  - .service.clean
  - .config.clean
  - .tuning.clean
