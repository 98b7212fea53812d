{#- The components this host's pillar enables (roles set `ceph:<component>:enabled`). The
    daemon components include the client component (ceph.conf + keyrings) themselves; a pure
    client host (glance, compute) sets `ceph:client:enabled`. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - .validate
{%- for component in ['client', 'mon', 'mgr', 'osd', 'keyrings', 'pools'] %}
{%-   if settings[component].enabled %}
  - .{{ component }}
{%-   endif %}
{%- endfor %}
