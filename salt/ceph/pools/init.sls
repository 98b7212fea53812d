{#- Pools: created with pg_num, size/min_size kept, application enabled, `rbd pool init` once. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set cli = settings.cli %}
include:
  - {{ tplroot }}.client

{%- for name, pool in settings.pools['items'] | dictsort %}
{%-   set pg = pool.get('pg_num', 32) %}

ceph-pools-{{ name }}-created:
  cmd.run:
    - name: {{ cli }} osd pool create {{ name }} {{ pg }} {{ pg }} replicated
    - unless: {{ cli }} osd pool get {{ name }} pg_num
    - require:
      - file: ceph-client-conf-managed
{%-   if settings.mon.enabled %}
      - cmd: ceph-mon-quorum-waited
{%-   endif %}
{%-   for option in ['size', 'min_size', 'pg_num'] if option in pool %}

ceph-pools-{{ name }}-{{ option }}-set:
  cmd.run:
    - name: {{ cli }} osd pool set {{ name }} {{ option }} {{ pool[option] }}{{ ' --yes-i-really-mean-it' if option == 'size' and pool[option] == 1 else '' }}
    - unless: test "$({{ cli }} osd pool get {{ name }} {{ option }} -f json | python3 -c 'import json,sys; print(json.load(sys.stdin)["{{ option }}"])')" = "{{ pool[option] }}"
    - require:
      - cmd: ceph-pools-{{ name }}-created
{%-   endfor %}
{%-   set app = pool.get('application', 'rbd') %}

ceph-pools-{{ name }}-application-enabled:
  cmd.run:
    - name: {{ cli }} osd pool application enable {{ name }} {{ app }}
    - unless: {{ cli }} osd pool application get {{ name }} -f json | grep -q '"{{ app }}"'
    - require:
      - cmd: ceph-pools-{{ name }}-created
{%-   if app == 'rbd' and pool.get('rbd_init', True) %}

ceph-pools-{{ name }}-rbd-initialized:
  cmd.run:
    - name: rbd --cluster {{ settings.cluster }} --conf {{ settings.conf_file }} --keyring {{ settings.admin_keyring }} pool init {{ name }}
    - unless: rados --cluster {{ settings.cluster }} --conf {{ settings.conf_file }} --keyring {{ settings.admin_keyring }} --pool {{ name }} stat rbd_info
    - require:
      - cmd: ceph-pools-{{ name }}-application-enabled
{%-   endif %}
{%- endfor %}
