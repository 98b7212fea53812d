{#- Deletes the pools and their data (allowing pool deletion on the monitors at runtime first). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name in settings.pools['items'] | sort %}
ceph-pools-{{ name }}-deleted:
  cmd.run:
    - name: >-
        {{ settings.cli }} tell 'mon.*' config set mon_allow_pool_delete true >/dev/null
        && {{ settings.cli }} osd pool rm {{ name }} {{ name }} --yes-i-really-really-mean-it
    - onlyif: {{ settings.cli }} osd pool get {{ name }} pg_num
{%- endfor %}
