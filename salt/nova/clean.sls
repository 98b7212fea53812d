{#- Undo the formula: the service, then its config. The compute service stays registered in
    Nova (`openstack compute service delete` is the cloud's call); a venv is never removed. #}
include:
  - .service.clean
  - .config.clean
