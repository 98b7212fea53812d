{#- The databases and users of pillar `mariadb`, through the local server's admin connection
    (mariadb_* states over the mariadb CLI). Passwords are read by the state from pillar by
    key (mariadb:user_passwords:<name>): never in this SLS's rendered arguments. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set conn = {} %}
{%- for key in ('host', 'port', 'socket', 'user', 'password_pillar') if settings.admin[key] %}
{%-   do conn.update({'connection_' ~ key: settings.admin[key]}) %}
{%- endfor %}
include:
  - {{ tplroot }}.validate

mariadb-databases-client-installed:
  pkg.installed:
    - pkgs: {{ settings.client_pkgs | json }}
    - require:
      - pillar_schema: mariadb-pillar-schema-validated
{%- for name, db in settings.databases | dictsort %}

mariadb-databases-{{ name }}-present:
  mariadb.database_present:
    - name: {{ name | json }}
{%-   for key in ('character_set', 'collate') if (db or {}).get(key) %}
    - {{ key }}: {{ db[key] | json }}
{%-   endfor %}
{%-   for key, value in conn | dictsort %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
    - require:
      - pkg: mariadb-databases-client-installed
{%- endfor %}
{%- for name, user in settings.users | dictsort %}

mariadb-users-{{ name }}-present:
  mariadb.user_present:
    - name: {{ name | json }}
    - host: {{ (user or {}).get('host', '%') | json }}
    - password_pillar: {{ ('mariadb:user_passwords:' ~ name) | json }}
    - grants: {{ (user or {}).get('grants', {}) | json }}
{%-   for key, value in conn | dictsort %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
    - require:
      - pkg: mariadb-databases-client-installed
{%-   for db in (user or {}).get('grants', {}) if db in settings.databases %}
      - mariadb: mariadb-databases-{{ db }}-present
{%-   endfor %}
{%- endfor %}
