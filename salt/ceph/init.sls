{#- The components this host's pillar enables (roles set `ceph:<component>:enabled`). The
    client component (ceph.conf + keyrings) comes first: the daemons need ceph.conf. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - .validate
  - .client
{%- for component in ['mon', 'mgr', 'osd', 'keyrings', 'pools'] %}
{%-   if settings[component].enabled %}
  - .{{ component }}
{%-   endif %}
{%- endfor %}
