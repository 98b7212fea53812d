{#- Databases and users on the site's MariaDB server, on the host that owns it. #}
include:
  - .validate
  - .databases
