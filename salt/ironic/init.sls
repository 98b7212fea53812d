{#- The Ironic role: install, ironic.conf, database schema, services, then the nodes. #}
include:
  - .validate
  - .install
  - .config
  - .db
  - .service
  - .nodes
