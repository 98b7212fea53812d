{#- Deletes the pools and their data (allowing pool deletion on the monitors at runtime first).
    Salt runs cmd.run commands and `onlyif` through a shell: every value is quoted, one command
    per state (no `&&`, no redirection). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set cli_args = ['ceph', '--cluster', settings.cluster, '--conf', settings.conf_file,
                    '--keyring', settings.admin_keyring, '--connect-timeout', '30'] %}
{%- for name in settings.pools['items'] | sort %}
{%-   set exists = (cli_args + ['osd', 'pool', 'get', name, 'pg_num']) | map('quote') | join(' ') %}

ceph-pools-{{ name }}-delete-allowed:
  cmd.run:
    - name: {{ (cli_args + ['tell', 'mon.*', 'config', 'set', 'mon_allow_pool_delete', 'true']) | map('quote') | join(' ') | json }}
    - onlyif: {{ exists | json }}

ceph-pools-{{ name }}-deleted:
  cmd.run:
    - name: {{ (cli_args + ['osd', 'pool', 'rm', name, name, '--yes-i-really-really-mean-it']) | map('quote') | join(' ') | json }}
    - onlyif: {{ exists | json }}
    - require:
      - cmd: ceph-pools-{{ name }}-delete-allowed
{%- endfor %}
