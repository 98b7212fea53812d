{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.service

{%- if settings.nodes %}

ironic-nodes-enrolled:
  ironic_node.enrolled:
    - nodes: {{ settings.nodes | json }}
    - pillar_key: ironic:nodes
{%- if settings.nodes_cloud %}
    - cloud: {{ settings.nodes_cloud }}
{%- endif %}
    - max_concurrent_clean: {{ settings.conductor.max_concurrent_clean }}
    - timeout: {{ settings.nodes_timeout }}
    - require:
      - cmd: ironic-service-drivers-registered
{%- endif %}
