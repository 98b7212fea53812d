{#- Pools: created with pg_num, size/min_size kept, application enabled, `rbd pool init` once. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{#- Salt's cmd.run runs its command (and every `unless`) through a shell: each value is quoted
    (quote), each line is a YAML string (json), and the checks get values as arguments of a
    small Python program instead of a pipeline. #}
{%- set cli_args = ['ceph', '--cluster', settings.cluster, '--conf', settings.conf_file,
                    '--keyring', settings.admin_keyring, '--connect-timeout', '30'] %}
{%- set rados_args = ['--cluster', settings.cluster, '--conf', settings.conf_file, '--keyring', settings.admin_keyring] %}
{%- set option_is = 'import json, subprocess, sys; pool, option, want = sys.argv[1:4]; '
      ~ 'out = subprocess.run(sys.argv[4:] + ["osd", "pool", "get", pool, option, "-f", "json"], '
      ~ 'capture_output=True, text=True, check=True).stdout; sys.exit(str(json.loads(out)[option]) != want)' %}
{%- set app_is = 'import json, subprocess, sys; pool, app = sys.argv[1:3]; '
      ~ 'out = subprocess.run(sys.argv[3:] + ["osd", "pool", "application", "get", pool, "-f", "json"], '
      ~ 'capture_output=True, text=True, check=True).stdout; sys.exit(app not in json.loads(out))' %}
include:
  - {{ tplroot }}.client

{%- for name, pool in settings.pools['items'] | dictsort %}
{%-   set pg = pool.get('pg_num', 32) | string %}

ceph-pools-{{ name }}-created:
  cmd.run:
    - name: {{ (cli_args + ['osd', 'pool', 'create', name, pg, pg, 'replicated']) | map('quote') | join(' ') | json }}
    - unless: {{ (cli_args + ['osd', 'pool', 'get', name, 'pg_num']) | map('quote') | join(' ') | json }}
    - require:
      - file: ceph-client-conf-managed
{%-   if settings.mon.enabled %}
      - cmd: ceph-mon-quorum-waited
{%-   endif %}
{#-   A pg_num from pillar pins the pool: the autoscaler would otherwise move it back, and
      every run would set it again. #}
{%-   set wanted = {} %}
{%-   for option in ['size', 'min_size'] if option in pool %}
{%-     do wanted.update({option: pool[option]}) %}
{%-   endfor %}
{%-   if 'pg_num' in pool %}
{%-     do wanted.update({'pg_autoscale_mode': 'off', 'pg_num': pool.pg_num}) %}
{%-   endif %}
{%-   for option in ['size', 'min_size', 'pg_autoscale_mode', 'pg_num'] if option in wanted %}
{%-     set value = wanted[option] | string %}
{%-     set confirm = ['--yes-i-really-mean-it'] if option == 'size' and wanted[option] == 1 else [] %}

ceph-pools-{{ name }}-{{ option }}-set:
  cmd.run:
    - name: {{ (cli_args + ['osd', 'pool', 'set', name, option, value] + confirm) | map('quote') | join(' ') | json }}
    - unless: {{ (['python3', '-c', option_is, name, option, value] + cli_args) | map('quote') | join(' ') | json }}
    - require:
      - cmd: ceph-pools-{{ name }}-created
{%-   endfor %}
{%-   set app = pool.get('application', 'rbd') %}

ceph-pools-{{ name }}-application-enabled:
  cmd.run:
    - name: {{ (cli_args + ['osd', 'pool', 'application', 'enable', name, app]) | map('quote') | join(' ') | json }}
    - unless: {{ (['python3', '-c', app_is, name, app] + cli_args) | map('quote') | join(' ') | json }}
    - require:
      - cmd: ceph-pools-{{ name }}-created
{%-   if app == 'rbd' and pool.get('rbd_init', True) %}

ceph-pools-{{ name }}-rbd-initialized:
  cmd.run:
    - name: {{ (['rbd'] + rados_args + ['pool', 'init', name]) | map('quote') | join(' ') | json }}
    - unless: {{ (['rados'] + rados_args + ['--pool', name, 'stat', 'rbd_info']) | map('quote') | join(' ') | json }}
    - require:
      - cmd: ceph-pools-{{ name }}-application-enabled
{%-   endif %}
{%- endfor %}
