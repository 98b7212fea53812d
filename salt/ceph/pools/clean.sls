{#- Deletes the pools and their data (needs `mon allow pool delete = true`). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name in settings.pools['items'] | sort %}
ceph-pools-{{ name }}-deleted:
  cmd.run:
    - name: {{ settings.cli }} osd pool rm {{ name }} {{ name }} --yes-i-really-really-mean-it
    - onlyif: {{ settings.cli }} osd pool get {{ name }} pg_num
{%- endfor %}
