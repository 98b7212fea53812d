{#- Drops the users, then the databases, of pillar `mariadb` (their data is gone). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set conn = {} %}
{%- for key in ('host', 'port', 'socket', 'user', 'password_pillar') if settings.admin[key] %}
{%-   do conn.update({'connection_' ~ key: settings.admin[key]}) %}
{%- endfor %}
{%- for name, user in settings.users | dictsort %}

mariadb-users-{{ name }}-absent:
  mariadb.user_absent:
    - name: {{ name | json }}
    - host: {{ (user or {}).get('host', '%') | json }}
{%-   for key, value in conn | dictsort %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
{%- endfor %}
{%- for name in settings.databases | sort %}

mariadb-databases-{{ name }}-absent:
  mariadb.database_absent:
    - name: {{ name | json }}
{%-   for key, value in conn | dictsort %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
{%-   if settings.users %}
    - require:
{%-     for user in settings.users | sort %}
      - mariadb: mariadb-users-{{ user }}-absent
{%-     endfor %}
{%-   endif %}
{%- endfor %}
