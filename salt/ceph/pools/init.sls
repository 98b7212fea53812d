{#- Pools: created with pg_num, size/min_size (and a pinned pg_num) kept, the application
    enabled, `rbd pool init` once. One state per pool: the states of a run read every pool
    with one `ceph osd pool ls detail` (_states/ceph_pool.py). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.client

{%- for name, pool in settings.pools['items'] | dictsort %}

ceph-pools-{{ name }}-present:
  ceph_pool.present:
    - name: {{ name | json }}
{%-   for option in ['pg_num', 'size', 'min_size'] if option in pool %}
    - {{ option }}: {{ pool[option] }}
{%-   endfor %}
    - application: {{ pool.get('application', 'rbd') | json }}
    - rbd_init: {{ pool.get('rbd_init', True) | json }}
    - conf: {{ settings.conf_file | json }}
    - keyring: {{ settings.admin_keyring | json }}
    - cluster: {{ settings.cluster | json }}
    - require:
      - file: ceph-client-conf-managed
{%-   if settings.mon.enabled %}
      - cmd: ceph-mon-quorum-waited
{%-   endif %}
{%- endfor %}
