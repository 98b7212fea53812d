{#- One openstack_flavor.present per `openstack:flavors:<name>`. Extra specs are checked before
    any API call; a changed vcpus/ram/disk fails unless the flavor sets `recreate: true`. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.validate
{%- for name, flavor in settings.flavors | dictsort %}

openstack-flavor-{{ name }}-present:
  openstack_flavor.present:
    - name: {{ name | json }}
{%-   for key, value in flavor | dictsort %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
    - pillar_key: {{ ('openstack:flavors:' ~ name) | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%- endfor %}
