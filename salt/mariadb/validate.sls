{#- Runs before anything else in the run (order 1) and stops it on a bad pillar (failhard).
    The schema is rendered here, and under salt-ssh the data too (rendered on the master), so
    the check works the same on hosts that have neither the formula files nor our pillar in
    their modules. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- import_yaml tplroot ~ '/schema.yaml' as schema %}
mariadb-pillar-schema-validated:
  pillar_schema.validated:
    - name: mariadb
    - schema: {{ schema | json }}
{%- if opts.get('__master_opts__') %}
    {#- salt-ssh: rendered on the master, and the target's modules see no pillar. On a minion
        the state reads its own pillar, so the rendered SLS carries none of its secrets. #}
    - data: {{ salt['pillar.get']('mariadb', {}) | json }}
{%- endif %}
    - order: 1
    - failhard: True

{#- A user whose password is not in this host's pillar would fail mid-run: stop before any change. #}
{%- set passwords = salt['pillar.get']('mariadb:user_passwords', {}) %}
{%- set unknown = [] %}
{%- for name in salt['pillar.get']('mariadb:users', {}) if not passwords.get(name) %}
{%-   do unknown.append('mariadb:user_passwords:' ~ name) %}
{%- endfor %}
{%- if unknown %}

mariadb-pillar-user-passwords-present:
  test.fail_without_changes:
    - name: "{{ unknown | join(', ') }}: no password for that user of mariadb:users in this host's pillar (its secrets file); nothing was changed"
    - order: 1
    - failhard: True
{%- endif %}
