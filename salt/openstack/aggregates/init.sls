{#- One openstack_aggregate.present per `openstack:aggregates:<name>`: zone, metadata, hosts
    listed or matched over hypervisor names (`hosts_matching: "*compute*"`). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.validate
{%- for name, aggregate in settings.aggregates | dictsort %}

openstack-aggregate-{{ name }}-present:
  openstack_aggregate.present:
    - name: {{ name | json }}
{%-   for key, value in aggregate | dictsort %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
    - pillar_key: {{ ('openstack:aggregates:' ~ name) | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%- endfor %}
